import type { ResourceSample } from '@strata/api'

// One reading of a resource (named numeric values: bytes, ops/s, counts, seconds) is part of the analytics report.
export type { ResourceSample } from '@strata/api'

/** The port every resource adapter implements: read the resource once. */
export interface ResourceProbe {
  readonly name: string
  readonly kind: ResourceSample['kind']
  sample(): Promise<Record<string, number>>
  close?(): Promise<void>
}
