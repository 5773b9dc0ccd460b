import type { ResourceProbe, ResourceSample } from './resource-probe.js'

/**
 * Polls every probe on an interval and keeps the recent samples (a ring per probe). A probe that fails records an
 * error sample and is tried again next time: a Redis that is down is a finding, not a crash.
 */
export class ResourceMonitor {
  private readonly recent = new Map<string, ResourceSample[]>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly probes: readonly ResourceProbe[],
    private readonly options: { intervalMs?: number; keep?: number; clock?: () => number } = {},
  ) {}

  start(): void {
    void this.sampleAll()
    this.timer = setInterval(() => void this.sampleAll(), this.options.intervalMs ?? 15_000)
    this.timer.unref()
  }

  async sampleAll(): Promise<ResourceSample[]> {
    return Promise.all(
      this.probes.map(async (probe) => {
        const at = this.options.clock?.() ?? Date.now()
        let sample: ResourceSample
        try {
          sample = { probe: probe.name, kind: probe.kind, at, values: await probe.sample() }
        } catch (error) {
          sample = { probe: probe.name, kind: probe.kind, at, values: {}, error: error instanceof Error ? error.message : String(error) }
        }
        const ring = this.recent.get(probe.name) ?? []
        ring.push(sample)
        if (ring.length > (this.options.keep ?? 240)) ring.shift()
        this.recent.set(probe.name, ring)
        return sample
      }),
    )
  }

  /** The newest sample of every probe. */
  latest(): ResourceSample[] {
    return [...this.recent.values()].map((ring) => ring.at(-1)!).filter((sample) => sample !== undefined)
  }

  history(probe: string): readonly ResourceSample[] {
    return this.recent.get(probe) ?? []
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await Promise.all(this.probes.map((probe) => probe.close?.() ?? Promise.resolve()))
  }
}
