import { node, tracing } from '@opentelemetry/sdk-node'
import { afterAll, describe, expect, it } from 'vitest'
import { withSpan } from './with-span.js'

describe('withSpan', () => {
  const exporter = new tracing.InMemorySpanExporter()
  const provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] })
  provider.register()
  afterAll(() => provider.shutdown())

  it('wraps background work in a span with its attributes, and marks a failure', async () => {
    expect(await withSpan('warmer.run', { 'strata.target': 'catalog' }, () => Promise.resolve(42))).toBe(42)
    await expect(withSpan('alerting.evaluate', {}, () => Promise.reject(new Error('store down')))).rejects.toThrow('store down')
    const [ok, failed] = exporter.getFinishedSpans()
    expect(ok).toMatchObject({ name: 'warmer.run', attributes: { 'strata.target': 'catalog' } })
    expect(ok!.status.code).toBe(0)
    expect(failed!.name).toBe('alerting.evaluate')
    expect(failed!.status.code).toBe(2)
    expect(failed!.events[0]!.name).toBe('exception')
  })
})
