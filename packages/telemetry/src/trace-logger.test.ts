import { Writable } from 'node:stream'
import { trace } from '@opentelemetry/api'
import { node } from '@opentelemetry/sdk-node'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { loggerOptions } from './trace-logger.js'

describe('pino logs carry the active trace', () => {
  const provider = new node.NodeTracerProvider()
  provider.register()
  afterAll(() => provider.shutdown())

  const capture = () => {
    const lines: Record<string, unknown>[] = []
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>)
        callback()
      },
    })
    return { lines, logger: pino(loggerOptions('svc-test', { level: 'info' }), stream) }
  }

  it('adds trace_id and span_id inside a span, nothing outside', () => {
    const { lines, logger } = capture()
    logger.info('outside')
    const span = trace.getTracer('test').startActiveSpan('work', (active) => {
      logger.info('inside')
      active.end()
      return active
    })
    expect(lines[0]).not.toHaveProperty('trace_id')
    expect(lines[0]!.service).toBe('svc-test')
    expect(lines[1]!.trace_id).toBe(span.spanContext().traceId)
    expect(lines[1]!.span_id).toBe(span.spanContext().spanId)
  })
})
