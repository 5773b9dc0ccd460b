import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { ResourceProbe } from './resource-probe.js'

/** This process: CPU share since the previous sample, memory, event-loop delay p50/p99 (reset at each sample). */
export class ProcessProbe implements ResourceProbe {
  readonly kind = 'process' as const
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 })
  private lastCpu = process.cpuUsage()
  private lastAt = performance.now()

  constructor(readonly name = 'analytics') {
    this.delay.enable()
  }

  sample(): Promise<Record<string, number>> {
    const cpu = process.cpuUsage(this.lastCpu)
    const now = performance.now()
    const elapsedUs = Math.max(1, (now - this.lastAt) * 1000)
    this.lastCpu = process.cpuUsage()
    this.lastAt = now
    const memory = process.memoryUsage()
    const values = {
      cpu_ratio: (cpu.user + cpu.system) / elapsedUs,
      rss_bytes: memory.rss,
      heap_used_bytes: memory.heapUsed,
      event_loop_delay_p50_seconds: this.delay.percentile(50) / 1e9,
      event_loop_delay_p99_seconds: this.delay.percentile(99) / 1e9,
    }
    this.delay.reset()
    return Promise.resolve(values)
  }

  close(): Promise<void> {
    this.delay.disable()
    return Promise.resolve()
  }
}
