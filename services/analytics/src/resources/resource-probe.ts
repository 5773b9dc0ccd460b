/** One reading of a resource: named numeric values (bytes, ops/s, counts, seconds). */
export interface ResourceSample {
  probe: string
  kind: 'redis' | 'memcached' | 'kafka-lag' | 'process' | 'service'
  at: number
  values: Record<string, number>
  /** Set when the probe could not read the resource this time (the values are then empty). */
  error?: string
}

/** The port every resource adapter implements: read the resource once. */
export interface ResourceProbe {
  readonly name: string
  readonly kind: ResourceSample['kind']
  sample(): Promise<Record<string, number>>
  close?(): Promise<void>
}
