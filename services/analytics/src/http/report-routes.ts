import type { SeriesReport } from '@strata/api'
import { StrataError } from '@strata/core'
import type { FastifyInstance } from 'fastify'
import type { AnalyticsState } from '../aggregation/analytics-state.js'
import { GRANULARITIES, bucketMs, type Granularity } from '../aggregation/rollup-rows.js'
import { rollupsCsv } from '../report/csv-report.js'
import { htmlReport } from '../report/html-report.js'
import { buildReport, seriesOf } from '../report/report-model.js'
import type { ResourceMonitor } from '../resources/resource-monitor.js'
import type { RollupStore } from '../store/rollup-store.js'

interface ReportQuery {
  window?: string
  from?: string
  to?: string
  granularity?: string
  namespace?: string
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * The most buckets one request may span (the window's length ÷ the granularity): a week of minutes, the widest the
 * console asks for. Every default retention fits (2 days of minutes, 35 days of hours, 400 days); past it a request
 * would read and render every row of that many buckets per namespace and tier (9999d of minutes: 14.4 million), so
 * it is refused (400) with a coarser granularity to ask for instead.
 */
export const MAX_BUCKETS_PER_REQUEST = 10_080

/**
 * GET /v1/report (JSON), /v1/report.csv (rollup rows), /v1/report.html (self-contained page), and /v1/series (the
 * rollups of every namespace, or `namespace`'s, bucket by bucket: the console's history charts). Window: `window=1h`
 * (up to now) or `from`/`to` (ISO 8601 or epoch ms); granularity minute (default), hour or day; at most `maxBuckets`
 * buckets (MAX_BUCKETS_PER_REQUEST). Bad parameters answer 400 problem+json with E_INVALID_REQUEST naming the parameter.
 */
export function reportRoutes(
  app: FastifyInstance,
  deps: { store: RollupStore; state: AnalyticsState; clock: () => number; resources?: ResourceMonitor; routeConfig?: Record<string, unknown>; maxBuckets?: number },
): void {
  const config = deps.routeConfig ?? {}
  const maxBuckets = deps.maxBuckets ?? MAX_BUCKETS_PER_REQUEST
  // Bad parameters are thrown: the service shell's error handler answers them as 400 problem+json.
  const parse = (query: ReportQuery): { from: number; to: number; granularity: Granularity; namespace?: string } => {
    const refuse = (detail: string, context?: Record<string, unknown>): never => {
      throw new StrataError('E_INVALID_REQUEST', detail, context === undefined ? {} : { context })
    }
    const granularity = (query.granularity ?? 'minute') as Granularity
    if (!GRANULARITIES.includes(granularity)) return refuse(`granularity must be one of ${GRANULARITIES.join(', ')}`)
    let to = deps.clock()
    let from: number
    const fromTo = query.from !== undefined || query.to !== undefined
    if (fromTo) {
      const f = timeOf(query.from)
      const t = query.to === undefined ? to : timeOf(query.to)
      if (f === undefined || t === undefined || f >= t) return refuse('from and to must be ISO 8601 times or epoch milliseconds, with from before to')
      from = f
      to = t
    } else {
      const match = /^(\d{1,4})([mhd])$/.exec(query.window ?? '1h')
      if (match === null) return refuse("window must look like '15m', '6h' or '7d'")
      from = to - Number(match[1]) * UNIT_MS[match[2]!]!
    }
    const buckets = Math.ceil((to - from) / bucketMs(granularity))
    if (buckets > maxBuckets) {
      const span = fromTo ? `from..to (${new Date(from).toISOString()} to ${new Date(to).toISOString()})` : `window=${query.window ?? '1h'}`
      const coarser = GRANULARITIES.slice(GRANULARITIES.indexOf(granularity) + 1)
      const instead = coarser.length === 0 ? '' : `, or granularity=${coarser.join(' or ')}`
      return refuse(`${span} at granularity=${granularity} spans ${buckets} buckets, more than the ${maxBuckets} one request may: ask for a shorter ${fromTo ? 'from..to' : 'window'}${instead}`, {
        parameter: fromTo ? 'from' : 'window',
        buckets,
        maxBuckets,
      })
    }
    if (query.namespace !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(query.namespace)) return refuse('namespace is not a valid namespace name')
    return { from, to, granularity, ...(query.namespace === undefined ? {} : { namespace: query.namespace }) }
  }

  app.get<{ Querystring: ReportQuery }>('/v1/report', { config }, async (request) => {
    const window = parse(request.query)
    return buildReport(deps.store, deps.state, { ...window, ...(deps.resources === undefined ? {} : { resources: deps.resources.latest() }) })
  })
  app.get<{ Querystring: ReportQuery }>('/v1/series', { config }, async (request): Promise<SeriesReport> => {
    const { from, to, granularity, namespace } = parse(request.query)
    const rows = await deps.store.accessRows({ from, to, granularity, ...(namespace === undefined ? {} : { namespace }) })
    return { window: { from, to, granularity }, namespace: namespace ?? null, series: seriesOf(rows) }
  })
  app.get<{ Querystring: ReportQuery }>('/v1/report.csv', { config }, async (request, reply) => {
    const window = parse(request.query)
    const rows = await deps.store.accessRows(window)
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="strata-rollups.csv"').send(rollupsCsv(rows))
  })
  app.get<{ Querystring: ReportQuery }>('/v1/report.html', { config }, async (request, reply) => {
    const window = parse(request.query)
    // The report is a page of data, not an app: inline styles only, no scripts, never framed, never sniffed.
    reply.headers(REPORT_PAGE_HEADERS)
    return reply.type('text/html; charset=utf-8').send(htmlReport(await buildReport(deps.store, deps.state, { ...window, ...(deps.resources === undefined ? {} : { resources: deps.resources.latest() }) })))
  })
}

export const REPORT_PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
}

function timeOf(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  const time = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  // Past ±8.64e15 ms a time is no Date at all (new Date(time) is invalid): refused like any other bad time.
  return Number.isFinite(time) && Math.abs(time) <= 8.64e15 ? time : undefined
}
