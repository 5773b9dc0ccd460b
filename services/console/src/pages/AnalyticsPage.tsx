import { useState, type FormEvent } from 'react'
import type { AnalyticsApi } from '../api/strata-api.js'
import type { NamespaceReport } from '../api/types.js'
import { useConsole } from '../app/console-context.js'
import { useAsync } from '../app/use-async.js'
import { NotConnected } from '../components/NotConnected.js'
import { TimeChart } from '../components/TimeChart.js'
import { ErrorNote, Field, formatBytes, percent } from '../components/ui.js'
import { formatHotKeyCount } from '../state/entry-list.js'

/** The analytics service's report: hot keys, trends, miss-ratio curve and the optimisation report. */
export function AnalyticsPage() {
  const { analytics } = useConsole()
  return (
    <>
      <h1>Analytics</h1>
      {analytics === undefined ? (
        <NotConnected
          service="Analytics"
          envVar="STRATA_CONSOLE_ANALYTICS_URL"
          how="pnpm start runs analytics in its process; a deployed gateway needs the analytics service (services/analytics, pnpm --filter @strata/analytics start) with PostgreSQL and Kafka, and access events published to it."
        />
      ) : (
        <AnalyticsView analytics={analytics} />
      )}
      <p className="hint">
        The query-cache (db-cache) statistics are kept in the application process that embeds @strata/db-cache; they have no HTTP API, so they are not shown
        here. See docs/guides/db-cache.md.
      </p>
    </>
  )
}

function AnalyticsView({ analytics }: { analytics: AnalyticsApi }) {
  const [window, setWindow] = useState('1h')
  const [query, setQuery] = useState({ window: '1h' })
  const [picked, setPicked] = useState('')
  const report = useAsync(() => analytics.report({ ...query, granularity: 'minute' }), [analytics, query])
  const namespaces = report.data?.namespaces ?? []
  // The picker lists what the report holds; a namespace picked earlier that this window lacks shows them all.
  const shown = namespaces.some((ns) => ns.namespace === picked) ? namespaces.filter((ns) => ns.namespace === picked) : namespaces
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set())
  const toggle = (name: string) =>
    setExpanded((current) => {
      const next = new Set(current)
      if (!next.delete(name)) next.add(name)
      return next
    })
  const apply = (event: FormEvent) => {
    event.preventDefault()
    setQuery({ window })
  }
  return (
    <>
      <form className="toolbar" onSubmit={apply} aria-label="Report window">
        <Field label="Window">
          {(props) => (
            <select {...props} name="window" value={window} onChange={(event) => setWindow(event.target.value)}>
              <option value="15m">15 minutes</option>
              <option value="1h">1 hour</option>
              <option value="6h">6 hours</option>
              <option value="1d">1 day</option>
              <option value="7d">7 days</option>
            </select>
          )}
        </Field>
        <button type="submit">Load report</button>
        <Field label="Namespace">
          {(props) => (
            <select {...props} name="namespace" value={namespaces.some((ns) => ns.namespace === picked) ? picked : ''} onChange={(event) => setPicked(event.target.value)}>
              <option value="">All namespaces ({namespaces.length})</option>
              {namespaces.map((ns) => (
                <option key={ns.namespace} value={ns.namespace}>
                  {ns.namespace}
                </option>
              ))}
            </select>
          )}
        </Field>
        <a href={`${analytics.baseUrl}/v1/report.html?window=${query.window}`} target="_blank" rel="noreferrer">
          Full optimisation report (HTML)
        </a>
      </form>
      <ErrorNote error={report.error} />
      {report.data === undefined ? null : namespaces.length === 0 ? (
        <p>No traffic was recorded in this window.</p>
      ) : (
        <>
          {shown.length > 1 ? (
            <div className="toolbar">
              <button type="button" className="secondary" onClick={() => setExpanded(new Set(shown.map((ns) => ns.namespace)))}>
                Expand all
              </button>
              <button type="button" className="secondary" onClick={() => setExpanded(new Set())}>
                Collapse all
              </button>
            </div>
          ) : null}
          {/* One namespace alone is open; among several, each opens on demand (a long report otherwise runs to thousands of pixels). */}
          {shown.map((ns) => (
            <NamespaceSection key={ns.namespace} ns={ns} open={shown.length === 1 || expanded.has(ns.namespace)} onToggle={shown.length === 1 ? undefined : () => toggle(ns.namespace)} />
          ))}
        </>
      )}
    </>
  )
}

function NamespaceSection({ ns, open, onToggle }: { ns: NamespaceReport; open: boolean; onToggle: (() => void) | undefined }) {
  const { preferences } = useConsole()
  const id = `ns-${ns.namespace.replace(/[^A-Za-z0-9_-]/g, '_')}`
  const trends = [...ns.trends.hourOverHour.map((trend) => ({ ...trend, over: 'hour over hour' })), ...ns.trends.dayOverDay.map((trend) => ({ ...trend, over: 'day over day' }))]
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>
        {onToggle === undefined ? (
          ns.namespace
        ) : (
          // The disclosure pattern (WAI-ARIA APG): the heading's button says whether the namespace's details are shown.
          <button type="button" className="disclosure" aria-expanded={open} aria-controls={`${id}-body`} onClick={onToggle}>
            {/* The marker is for the eye; the name stays the namespace's (aria-expanded says the state). */}
            <span aria-hidden="true">{open ? '▾ ' : '▸ '}</span>
            {ns.namespace}
          </button>
        )}
      </h2>
      <p>
        {ns.requests} requests ({ns.perSecond.toFixed(2)}/s), hit ratio {percent(ns.hitRatio)}, stale {percent(ns.staleRatio)}, {formatBytes(ns.bytes)} served, {ns.evictions} evictions.
      </p>
      <div id={`${id}-body`} hidden={!open}>
        <h3 id={`${id}-recommendations`}>Recommendations</h3>
        {ns.recommendations.length === 0 ? (
          <p>Nothing to change: no rule of the optimization report fired.</p>
        ) : (
          <ul aria-labelledby={`${id}-recommendations`}>
            {ns.recommendations.map((recommendation) => (
              <li key={recommendation.kind} data-kind={recommendation.kind}>
                <strong>{recommendation.severity === 'warning' ? 'Warning: ' : ''}{recommendation.finding}</strong> {recommendation.action}
              </li>
            ))}
          </ul>
        )}
        <div className="stack">
          <div className="table-wrap">
            <table>
              <caption>Hot keys{ns.keysHashed ? ' (hashed)' : ''}</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Count</th>
                </tr>
              </thead>
              <tbody>
                {ns.hotKeys.slice(0, 10).map((hot) => (
                  <tr key={hot.key}>
                    <th scope="row">{hot.key}</th>
                    <td>
                      {formatHotKeyCount(hot.count, hot.error)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="table-wrap">
            <table>
              <caption>Trends</caption>
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  <th scope="col">Over</th>
                  <th scope="col">Now</th>
                  <th scope="col">Change</th>
                </tr>
              </thead>
              <tbody>
                {trends.map((trend) => (
                  <tr key={`${trend.metric}-${trend.over}`}>
                    <th scope="row">{trend.metric}</th>
                    <td>{trend.over}</td>
                    <td>{trend.metric === 'hitRatio' ? percent(trend.current) : trend.current}</td>
                    <td>{trend.change === null ? '—' : `${(trend.change * 100).toFixed(1)} %`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
        {!ns.series.some((point) => point.hitRatio !== null) ? (
          <p className="hint">No hit-ratio chart: no read was recorded in this window (only writes or deletes).</p>
        ) : (
          <TimeChart
            id={`${id}-series`}
            title="Requests and hit ratio per bucket"
            theme={preferences.theme}
            times={ns.series.map((point) => point.bucket / 1000)}
            format={(value) => value.toFixed(2)}
            lines={[{ label: 'hit ratio', values: ns.series.map((point) => point.hitRatio) }]}
            yRange={[0, 1]}
          />
        )}
        {ns.mrc === undefined ? (
          <p className="hint">No miss-ratio curve: no access was sampled in this window.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption>Miss-ratio curve (LRU, estimated from {ns.mrc.references} sampled references)</caption>
              <thead>
                <tr>
                  <th scope="col">Cache size (entries)</th>
                  <th scope="col">Hit ratio</th>
                </tr>
              </thead>
              <tbody>
                {ns.mrc.points.map((point) => (
                  <tr key={point.size}>
                    <th scope="row">{point.size}</th>
                    <td>
                      <meter min={0} max={1} value={point.hitRatio} aria-label={`hit ratio at ${point.size} entries`} /> {percent(point.hitRatio)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  )
}
