import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { lazyRequestLogger } from './lazy-request-logger.js'

function capture(level: string) {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    },
  })
  let children = 0
  const parent = pino({ level, redact: ['secret'], onChild: () => children++ }, stream)
  return { parent, lines, children: () => children }
}

describe('lazyRequestLogger', () => {
  it('makes no child for lines below the parent level, and writes the same line with the bindings otherwise', () => {
    const { parent, lines, children } = capture('warn')
    const log = lazyRequestLogger(parent, { request_id: 'r-1', secret: 'x' }, {})
    log.info('not written')
    log.debug({ a: 1 }, 'nor this')
    expect(children()).toBe(0)
    expect(lines).toEqual([])
    log.error({ err: 'boom' }, 'written')
    log.warn('also written')
    expect(children()).toBe(1)
    expect(lines.map((l) => [l.msg, l.request_id, l.secret, l.err])).toEqual([
      ['written', 'r-1', '[Redacted]', 'boom'],
      ['also written', 'r-1', '[Redacted]', undefined],
    ])
  })

  it('follows the child once made, and a level set on it', () => {
    const { parent, lines } = capture('warn')
    const log = lazyRequestLogger(parent, { request_id: 'r-2' }, {})
    expect(log.level).toBe('warn')
    log.level = 'info'
    log.info('now written')
    expect(lines.map((l) => l.msg)).toEqual(['now written'])
    expect(parent.level).toBe('warn')
    const nested = log.child({ part: 'origin' })
    nested.warn('nested')
    expect(lines.at(-1)).toMatchObject({ msg: 'nested', request_id: 'r-2', part: 'origin' })
  })
})
