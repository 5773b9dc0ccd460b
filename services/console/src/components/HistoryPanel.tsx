import { useState } from 'react'
import type { AnalyticsApi } from '../api/strata-api.js'
import { useAsync } from '../app/use-async.js'
import { useTicker } from '../app/use-ticker.js'
import { HISTORY_RANGES, historyLines, rangeOf } from '../state/history-range.js'
import type { Theme } from '../state/preferences.js'
import { ms, perSecond, ratio } from './chart-formats.js'
import { NotConnected } from './NotConnected.js'
import { TimeChart } from './TimeChart.js'
import { ErrorNote, Field } from './ui.js'

/** Rollups change once a bucket closes: a minute is often enough, whatever the live refresh interval. */
const HISTORY_REFRESH_MS = 60_000

/**
 * The Overview's history: hit ratio, requests and latency over a chosen range, from the analytics service's rollups
 * (GET /v1/series), so it survives a reload and reaches back days; without analytics it says how to connect it.
 */
export function HistoryPanel({ analytics, namespace, theme }: { analytics: AnalyticsApi | undefined; namespace: string; theme: Theme }) {
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      {analytics === undefined ? (
        <NotConnected
          service="Analytics"
          envVar="STRATA_CONSOLE_ANALYTICS_URL"
          how="The history (hit ratio, requests and latency over 15 minutes to 7 days) comes from the analytics service's rollups. Without it the Overview has only the live charts above, which start empty at each sign-in."
        />
      ) : (
        <HistoryCharts analytics={analytics} namespace={namespace} theme={theme} />
      )}
    </section>
  )
}

function HistoryCharts({ analytics, namespace, theme }: { analytics: AnalyticsApi; namespace: string; theme: Theme }) {
  const [rangeValue, setRangeValue] = useState<string>('1h')
  const range = rangeOf(rangeValue)
  const tick = useTicker(HISTORY_REFRESH_MS)
  const history = useAsync(
    () => analytics.series({ window: range.value, granularity: range.granularity, ...(namespace === '' ? {} : { namespace }) }),
    [analytics, range.value, namespace, tick],
  )
  const lines = history.data === undefined ? undefined : historyLines(history.data, range.bucketMs)
  const unit = range.granularity === 'minute' ? 'minute' : 'hour'
  const span: [number, number] | undefined = history.data === undefined ? undefined : [history.data.window.from / 1000, history.data.window.to / 1000]
  return (
    <>
      <div className="toolbar">
        <Field label="Range">
          {(props) => (
            <select {...props} value={range.value} onChange={(event) => setRangeValue(event.target.value)}>
              {HISTORY_RANGES.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="button" className="secondary" onClick={history.reload}>
          Refresh history
        </button>
        <p className="hint">
          From the analytics rollups, one point per {unit}, {namespace === '' ? 'all namespaces' : `namespace ${namespace}`}.
        </p>
      </div>
      <ErrorNote error={history.error} />
      {lines === undefined ? null : lines.times.length === 0 ? (
        <p data-testid="history-empty">No traffic was recorded in this range.</p>
      ) : (
        <div className="charts">
          <TimeChart id="chart-history-hit-ratio" title="Hit ratio (history)" theme={theme} times={lines.times} xRange={span} format={ratio} yRange={[0, 1]} lines={[{ label: 'hit ratio', values: lines.hitRatio }]} />
          <TimeChart id="chart-history-requests" title="Requests (history)" theme={theme} times={lines.times} xRange={span} format={perSecond} lines={[{ label: 'requests', values: lines.requestsPerSec }]} />
          <TimeChart
            id="chart-history-latency"
            title="Latency (history)"
            theme={theme}
            times={lines.times} xRange={span}
            format={ms}
            lines={[
              { label: 'p50', values: lines.p50 },
              { label: 'p99', values: lines.p99 },
            ]}
          />
        </div>
      )}
    </>
  )
}
