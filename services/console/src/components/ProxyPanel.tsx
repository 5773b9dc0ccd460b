import type { ProxyUpstreamStats } from '../api/types.js'
import { percent } from './ui.js'

const COLUMNS = ['Upstream', 'Requests', 'Hit ratio', 'Hits', 'Revalidated', 'Misses', 'Stale', 'Bypass', 'Errors'] as const

/** An upstream's row after its name, in COLUMNS order; no hit ratio while nothing was looked up (only bypasses and errors). */
function cellsOf(upstream: ProxyUpstreamStats): Array<string | number> {
  const looked = upstream.requests > upstream.bypass + upstream.errors
  return [upstream.requests, looked ? percent(upstream.hitRatio) : '—', upstream.hits, upstream.revalidated, upstream.misses, upstream.stale, upstream.bypass, upstream.errors]
}

/** The caching proxy per upstream, from GET /v1/stats: its answers since the gateway started, by X-Cache outcome. */
export function ProxyPanel({ upstreams }: { upstreams: readonly ProxyUpstreamStats[] | undefined }) {
  return (
    <section aria-labelledby="proxy-title">
      <h2 id="proxy-title">Proxy</h2>
      {upstreams === undefined ? null : upstreams.length === 0 ? (
        <p>No proxy upstream is configured on this gateway (upstreams in its configuration; see docs/guides/gateway.md).</p>
      ) : (
        <div className="table-wrap">
          <table id="proxy-table">
            <caption>Answers per upstream since the gateway started</caption>
            <thead>
              <tr>
                {COLUMNS.map((column) => (
                  <th key={column} scope="col">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {upstreams.map((upstream) => (
                <tr key={upstream.upstream} data-upstream={upstream.upstream}>
                  <th scope="row">{upstream.upstream}</th>
                  {cellsOf(upstream).map((cell, index) => (
                    <td key={COLUMNS[index + 1]}>{cell}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
