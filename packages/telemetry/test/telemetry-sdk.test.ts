import { describe, expect, it } from 'vitest'
import { currentTelemetry, startTelemetry, strataMeter } from '../src/index.js'

describe('startTelemetry', () => {
  it('starts one SDK per process and serves OpenTelemetry meter metrics as Prometheus text', async () => {
    // Nothing exported anywhere: this test reads metrics through the bridge only.
    Object.assign(process.env, { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' })
    const telemetry = startTelemetry({ serviceName: 'strata-test' })
    expect(startTelemetry({ serviceName: 'another' })).toBe(telemetry)
    expect(currentTelemetry()).toBe(telemetry)
    expect(telemetry.enabled).toBe(true)
    expect(telemetry.serviceName).toBe('strata-test')

    strataMeter().createCounter('strata_test_things', { description: 'things done in the test' }).add(3, { kind: 'a' })
    let observed = 0
    strataMeter()
      .createObservableGauge('strata_test_depth')
      .addCallback((result) => result.observe(++observed * 10))
    const text = await telemetry.prometheusText()
    expect(text).toMatch(/^# HELP strata_test_things_total things done in the test$/m)
    expect(text).toMatch(/^strata_test_things_total\{kind="a"\} 3$/m)
    expect(text).toMatch(/^strata_test_depth 10$/m)
    expect(text).not.toContain('target_info')
    await telemetry.shutdown()
  })
})
