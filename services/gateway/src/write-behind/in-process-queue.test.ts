import type { BufferedWrite } from '@strata/core'
import { SpanKind, startSpanRecorder } from '@strata/telemetry/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { InProcessWriteBehindQueue } from './in-process-queue.js'

describe("the embedded write-behind queue carries the writer's trace to the flush", () => {
  const recorder = startSpanRecorder()
  afterAll(() => recorder.shutdown())
  const write = (key: string): BufferedWrite => ({ namespace: 'accounts', key, value: { key }, version: Date.now() * 1000, at: Date.now() })

  it('flushes a one-trace batch as a child of the buffer add, and a mixed batch as a root linked to each writer', async () => {
    const flushedIn: Array<string | undefined> = []
    const queue = new InProcessWriteBehindQueue(
      () => {
        flushedIn.push(recorder.activeTraceId())
        return Promise.resolve()
      },
      { intervalMs: 60_000 },
    )
    const put = (name: string, key: string) =>
      recorder.tracer.startActiveSpan(name, { root: true }, async (span) => {
        await queue.enqueue(write(key))
        span.end()
        return span.spanContext().traceId
      })

    const one = await put('PUT a', 'a')
    await queue.flush()
    expect(flushedIn).toEqual([one])
    const publish = recorder.trace(one).find((span) => span.name === 'write-behind publish')!
    expect(publish.kind).toBe(SpanKind.PRODUCER)
    const flush = recorder.trace(one).find((span) => span.name === 'write-behind flush')!
    expect(flush.parentSpanContext?.spanId).toBe(publish.spanContext().spanId)

    const [two, three] = [await put('PUT b', 'b'), await put('PUT c', 'c')]
    await queue.flush()
    expect([two, three]).not.toContain(flushedIn[1])
    const mixed = recorder.trace(flushedIn[1]!).find((span) => span.name === 'write-behind flush')!
    expect(mixed.parentSpanContext).toBeUndefined()
    expect(mixed.links.map((link) => link.context.traceId).sort()).toEqual([two, three].sort())
    for (const traceId of [two, three]) expect(recorder.trace(traceId).some((span) => span.name === 'write-behind flush write')).toBe(true)
    await queue.close()
  })
})
