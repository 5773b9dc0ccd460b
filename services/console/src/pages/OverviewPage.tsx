import { useMemo, useState } from 'react'
import { useConsole } from '../app/console-context.js'
import { ms, perSecond, ratio } from '../components/chart-formats.js'
import { HistoryPanel } from '../components/HistoryPanel.js'
import { ProxyPanel } from '../components/ProxyPanel.js'
import { TimeChart } from '../components/TimeChart.js'
import { ErrorNote, Field, formatDuration, percent } from '../components/ui.js'
import { buildSeries, latest, type Scope } from '../state/stats-series.js'

/**
 * Live charts from /v1/stats, polled at the refresh interval (hit ratio, throughput per tier, latency, errors); the
 * history from the analytics rollups over a chosen range; and the proxy per upstream.
 */
export function OverviewPage() {
  const { snapshots, statsError, preferences, analytics } = useConsole()
  const newest = snapshots.at(-1)
  const names = newest?.namespaces.map((ns) => ns.name) ?? []
  const [chosen, setChosen] = useState<string>(preferences.defaultNamespace)
  const scopeName = chosen !== '' && names.includes(chosen) ? chosen : ''
  const scope: Scope = scopeName === '' ? { kind: 'all' } : { kind: 'namespace', name: scopeName }
  const series = useMemo(() => buildSeries(snapshots, scope), [snapshots, scope.kind, scopeName])
  const theme = preferences.theme
  return (
    <>
      <h1>Overview</h1>
      <ErrorNote error={statsError} />
      <div className="toolbar">
        <Field label="Scope">
          {(props) => (
            <select {...props} value={scopeName} onChange={(event) => setChosen(event.target.value)}>
              <option value="">All namespaces</option>
              {names.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <p className="hint">
          Refreshes every {formatDuration(preferences.refreshMs)} (Settings). {newest === undefined ? 'Waiting for the first snapshot…' : `Gateway up ${formatDuration(newest.uptimeMs)}.`}
        </p>
      </div>
      <h2>Live (this gateway, since sign-in)</h2>
      <section aria-label="Now" className="tiles">
        <div className="tile">
          <span>Hit ratio</span>
          <strong>{percent(latest(series.hitRatio))}</strong>
        </div>
        <div className="tile">
          <span>Throughput</span>
          <strong>{perSecond(latest(series.requestsPerSec) ?? 0)}</strong>
        </div>
        <div className="tile">
          <span>Latency p99</span>
          <strong>{ms(latest(series.p99) ?? 0)}</strong>
        </div>
        <div className="tile">
          <span>Errors</span>
          <strong>{perSecond(latest(series.errorsPerSec) ?? 0)}</strong>
        </div>
      </section>
      <div className="charts">
        <TimeChart id="chart-hit-ratio" title="Hit ratio" theme={theme} times={series.times} format={ratio} yRange={[0, 1]} lines={[{ label: 'hit ratio', values: series.hitRatio }]} />
        <TimeChart
          id="chart-throughput"
          title="Throughput per tier"
          theme={theme}
          times={series.times}
          format={perSecond}
          lines={[
            { label: 'requests', values: series.requestsPerSec },
            { label: 'L1 hits', values: series.l1HitsPerSec },
            { label: 'L2 hits', values: series.l2HitsPerSec },
            { label: 'misses', values: series.missesPerSec },
            { label: 'stale hits', values: series.staleHitsPerSec },
          ]}
        />
        <TimeChart
          id="chart-latency"
          title="Latency (last 60 s)"
          theme={theme}
          times={series.times}
          format={ms}
          lines={[
            { label: 'p50', values: series.p50 },
            { label: 'p95', values: series.p95 },
            { label: 'p99', values: series.p99 },
          ]}
        />
        <TimeChart id="chart-errors" title="Errors" theme={theme} times={series.times} format={perSecond} lines={[{ label: 'errors', values: series.errorsPerSec }]} />
      </div>
      <HistoryPanel analytics={analytics} namespace={scopeName} theme={theme} />
      <ProxyPanel upstreams={newest?.proxy} />
      <section aria-labelledby="ns-table-title">
        <h2 id="ns-table-title">Namespaces now</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Namespace</th>
                <th scope="col">Hit ratio</th>
                <th scope="col">L1 hits</th>
                <th scope="col">L2 hits</th>
                <th scope="col">Misses</th>
                <th scope="col">Errors</th>
                <th scope="col">L1 entries</th>
                <th scope="col">p50 / p95 / p99</th>
              </tr>
            </thead>
            <tbody>
              {(newest?.namespaces ?? []).map((ns) => (
                <tr key={ns.name}>
                  <th scope="row">{ns.name}</th>
                  <td>{percent(ns.hitRatio)}</td>
                  <td>{ns.l1Hits}</td>
                  <td>{ns.l2Hits}</td>
                  <td>{ns.misses}</td>
                  <td>{ns.errors}</td>
                  <td>{ns.l1Entries}</td>
                  <td>
                    {ms(ns.latencyMs.p50)} / {ms(ns.latencyMs.p95)} / {ms(ns.latencyMs.p99)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  )
}
