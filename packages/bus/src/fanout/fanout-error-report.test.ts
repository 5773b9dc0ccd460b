import { describe, expect, it } from 'vitest'
import { FanoutErrorReport } from './fanout-error-report.js'

describe('FanoutErrorReport', () => {
  const setup = () => {
    let now = 1_000
    const lines: { fields: Record<string, unknown>; message: string }[] = []
    const report = new FanoutErrorReport('redis', { warn: (fields, message) => lines.push({ fields, message }), logEveryMs: 10_000, clock: () => now })
    return { report, lines, advance: (ms: number) => (now += ms) }
  }

  it('counts every failure per stage and warns at once, then at most once per interval with what it left out', () => {
    const { report, lines, advance } = setup()
    const down = new Error('Redis is reconnecting: the fast invalidation was dropped')
    for (let i = 0; i < 5; i++) report.report(down, 'publish')
    expect(report.counts).toEqual({ publish: 5, receive: 0 })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ fields: { err: down, fanout: 'redis', stage: 'publish' } })
    expect(lines[0]!.message).toContain('fast invalidation not sent')

    advance(10_000)
    report.report(down, 'publish')
    expect(lines).toHaveLength(2)
    expect(lines[1]!.fields).toMatchObject({ stage: 'publish', suppressed: 4 })
    expect(report.counts.publish).toBe(6)
  })

  it('keeps the stages apart, and leaves a received message out of the log (it may quote cache keys)', () => {
    const { report, lines } = setup()
    report.report(new Error('down'), 'publish')
    const invalid = Object.assign(new SyntaxError('Unexpected token \'s\', "secret-key:42" is not valid JSON'), { code: 'E_EVENT_INVALID' })
    report.report(invalid, 'receive')
    expect(report.counts).toEqual({ publish: 1, receive: 1 })
    expect(lines).toHaveLength(2)
    expect(lines[1]!.fields).toEqual({ error: 'SyntaxError', code: 'E_EVENT_INVALID', fanout: 'redis', stage: 'receive' })
    expect(JSON.stringify(lines[1])).not.toContain('secret-key')
  })
})
