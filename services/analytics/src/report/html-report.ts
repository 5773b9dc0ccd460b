import type { AnalyticsReport, NamespaceReport } from '@strata/api'
import { barChart, escapeHtml, lineChart } from './svg-charts.js'

const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2']

/** One self-contained HTML page (inline CSS and SVG, no script, nothing fetched): the performance and optimisation report. */
export function htmlReport(report: AnalyticsReport): string {
  const window = `${new Date(report.window.from).toISOString()} — ${new Date(report.window.to).toISOString()} (${report.window.granularity})`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strata cache report</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#111;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f6f6f6}td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:16px}.flag{color:#b91c1c;font-weight:600}.muted{color:#666}
</style></head><body>
<h1>Strata cache performance and optimisation report</h1>
<p class="muted">${escapeHtml(window)} · generated ${escapeHtml(new Date(report.generatedAt).toISOString())} · ${report.ingest.accesses} accesses ingested</p>
${report.namespaces.length === 0 ? '<p>No accesses in this window.</p>' : report.namespaces.map(namespaceSection).join('\n')}
<h2>Errors</h2>
${table(['code', 'service', 'namespace', 'count'], report.errors.map((e) => [e.code, e.service, e.namespace || '—', String(e.count)]))}
<h2>Resources</h2>
${table(
  ['probe', 'kind', 'read at', 'values'],
  report.resources.map((r) => [r.probe, r.kind, new Date(r.at).toISOString().slice(11, 19), r.error ?? Object.entries(r.values).map(([k, v]) => `${k}=${formatValue(k, v)}`).join(', ')]),
)}
<h2>Invalidations</h2>
${table(['namespace', 'kind', 'count', 'keys'], report.invalidations.map((i) => [i.namespace, i.kind, String(i.count), String(i.keys)]))}
<h2>Alerts and warm runs</h2>
${table(
  ['at', 'what', 'detail'],
  report.timeline.map((entry) =>
    entry.kind === 'alert'
      ? [new Date(entry.at).toISOString().slice(0, 19), `alert ${entry.rule}: ${entry.state}`, `${entry.severity} · ${entry.summary}`]
      : [new Date(entry.at).toISOString().slice(0, 19), `warm ${entry.target} (${entry.trigger})`, `${entry.loaded} loaded, ${entry.cached} cached, ${entry.failed} failed of ${entry.total} in ${Math.round(entry.durationMs)} ms`],
  ),
)}
</body></html>
`
}

function namespaceSection(ns: NamespaceReport): string {
  const pct = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`)
  const time = (x: number) => new Date(x).toISOString().slice(11, 16)
  const requests = lineChart([{ name: 'requests', color: COLORS[0]!, points: ns.series.map((p) => ({ x: p.bucket, y: p.requests })) }], { title: 'Requests per bucket', xLabel: time })
  const hitRatio = lineChart(
    [{ name: 'hit ratio %', color: COLORS[1]!, points: ns.series.filter((p) => p.hitRatio !== null).map((p) => ({ x: p.bucket, y: p.hitRatio! * 100 })) }],
    { title: 'Hit ratio (%)', xLabel: time, yMin: 0, yMax: 100 },
  )
  const latency = barChart(
    ns.tiers.map((t) => t.tier),
    (['p50', 'p90', 'p99', 'p999'] as const).map((p, i) => ({ name: p, color: COLORS[i]!, values: ns.tiers.map((t) => t.latency[p]) })),
    { title: 'Latency by tier (ms)' },
  )
  const mrc =
    ns.mrc === undefined
      ? '<p class="muted">Miss-ratio curve: needs accesses sampled at rate 1 for this namespace.</p>'
      : lineChart([{ name: 'LRU hit ratio %', color: COLORS[3]!, points: ns.mrc.points.map((p) => ({ x: Math.log2(p.size), y: p.hitRatio * 100 })) }], {
          title: `Hit ratio by cache size (SHARDS, rate ${ns.mrc.samplingRate.toPrecision(2)})`,
          xLabel: (x) => String(Math.round(2 ** x)),
          yMin: 0,
          yMax: 100,
        })
  const trend = (t: NamespaceReport['trends']['hourOverHour']) =>
    t.map((x) => `${x.metric}: ${x.change === null ? 'n/a' : x.metric === 'requests' ? `${(x.change * 100).toFixed(1)}%` : `${x.change.toFixed(2)} pt`}`).join(', ')
  return `<section class="namespace" data-namespace="${escapeHtml(ns.namespace)}">
<h2>Namespace ${escapeHtml(ns.namespace)}</h2>
${table(
  ['requests', 'per second', 'hit ratio', 'stale', 'bytes', 'evictions'],
  [[Math.round(ns.requests).toString(), ns.perSecond.toFixed(2), pct(ns.hitRatio), pct(ns.staleRatio), Math.round(ns.bytes).toString(), String(ns.evictions)]],
)}
<p>Hour over hour: ${escapeHtml(trend(ns.trends.hourOverHour))}. Day over day: ${escapeHtml(trend(ns.trends.dayOverDay))}.</p>
<h3>Recommendations</h3>
${
  ns.recommendations.length === 0
    ? '<p>Nothing to change: no rule of the optimization report fired.</p>'
    : `<ul class="recommendations">${ns.recommendations.map((r) => `<li data-kind="${r.kind}"><strong>${escapeHtml(r.finding)}</strong> ${escapeHtml(r.action)}</li>`).join('')}</ul>`
}
${ns.anomalies.length === 0 ? '' : `<p class="flag">Anomalies: ${ns.anomalies.map((a) => escapeHtml(`${time(a.bucket)} ${a.metric} ${a.value.toFixed(3)} (z=${a.z.toFixed(1)})`)).join('; ')}</p>`}
<div class="charts">${requests}${hitRatio}${latency}${mrc}</div>
${
  ns.mrc?.relative === undefined
    ? ''
    : `<h3>An L1 of N× the current size (${ns.mrc.l1MaxEntries} entries, shared by all namespaces)</h3>${table(
        ['L1 size', 'entries', 'LRU hit ratio'],
        ns.mrc.relative.map((p) => [`${p.multiple}×`, String(p.size), pct(p.hitRatio)]),
      )}`
}
${ns.mrc === undefined ? '' : `<h3>What a bigger cache would do</h3>${table(['size (entries)', 'LRU hit ratio'], ns.mrc.points.map((p) => [String(p.size), pct(p.hitRatio)]))}`}
<h3>Hot keys${ns.keysHashed ? ' (hashed)' : ''}</h3>
${table(['key', 'count (≤)', 'error'], ns.hotKeys.map((k) => [k.key, Math.round(k.count).toString(), Math.round(k.error).toString()]))}
<h3>Stampede-prone keys</h3>
${table(['key', 'misses in bursts'], ns.stampedeKeys.map((k) => [k.key, Math.round(k.count).toString()]))}
</section>`
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  if (rows.length === 0) return '<p class="muted">None.</p>'
  return `<table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
}

function formatValue(name: string, value: number): string {
  if (name.endsWith('bytes') || name === 'used_memory' || name === 'maxmemory' || name === 'limit_maxbytes') return `${(value / 1_048_576).toFixed(1)} MiB`
  if (name.endsWith('ratio')) return `${(value * 100).toFixed(1)}%`
  if (name.endsWith('seconds')) return `${(value * 1000).toFixed(2)} ms`
  return Number.isInteger(value) ? String(value) : value.toFixed(3)
}
