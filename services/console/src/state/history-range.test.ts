import { describe, expect, it } from 'vitest'
import { historyLines, rangeOf } from './history-range.js'

describe('history ranges', () => {
  it('asks minutes for short ranges and hours for long ones; an unknown range falls back to 1 hour', () => {
    expect([rangeOf('15m').granularity, rangeOf('1h').granularity, rangeOf('24h').granularity, rangeOf('7d').granularity]).toEqual(['minute', 'minute', 'hour', 'hour'])
    expect(rangeOf('1y').value).toBe('1h')
  })

  it('turns rollup buckets into chart lines: seconds, requests per second over the bucket, nulls kept', () => {
    const lines = historyLines(
      {
        window: { from: 0, to: 7_200_000, granularity: 'hour' },
        namespace: null,
        series: [
          { bucket: 0, requests: 7_200, hitRatio: 0.5, p50Ms: 1, p99Ms: 9 },
          { bucket: 3_600_000, requests: 36, hitRatio: null, p50Ms: null, p99Ms: null },
        ],
      },
      3_600_000,
    )
    expect(lines).toEqual({ times: [0, 3_600], hitRatio: [0.5, null], requestsPerSec: [2, 0.01], p50: [1, null], p99: [9, null] })
  })
})
