import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { RouteDurations } from '../src/route-durations.js'

describe('RouteDurations', () => {
  it('exposes a Prometheus histogram per route, method and status: cumulative buckets, +Inf, sum and count', async () => {
    const registry = new Registry()
    const durations = new RouteDurations(registry, [0.001, 0.01])
    const keys = durations.route('/v1/keys/:key')
    keys('GET', 200, 0.0005)
    keys('GET', 200, 0.005)
    keys('GET', 200, 3)
    keys('PUT', 200, 0.0001)
    keys('GET', 404, 0.002)
    const text = await registry.metrics()
    const line = (labels: string, suffix: string) => text.split('\n').find((l) => l.startsWith(`strata_http_request_duration_seconds_${suffix}{${labels}`))
    const get200 = 'method="GET",route="/v1/keys/:key",status_code="200"'
    expect(line(`${get200},le="0.001"`, 'bucket')).toMatch(/ 1$/)
    expect(line(`${get200},le="0.01"`, 'bucket')).toMatch(/ 2$/)
    expect(line(`${get200},le="+Inf"`, 'bucket')).toMatch(/ 3$/)
    expect(line(get200, 'sum')).toMatch(/ 3\.0055$/)
    expect(line(get200, 'count')).toMatch(/ 3$/)
    expect(line('method="PUT",route="/v1/keys/:key",status_code="200"', 'count')).toMatch(/ 1$/)
    expect(line('method="GET",route="/v1/keys/:key",status_code="404"', 'count')).toMatch(/ 1$/)
    expect(text).toContain('# TYPE strata_http_request_duration_seconds histogram')
  })
})
