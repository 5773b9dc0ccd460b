import type { EvictionPolicy, EvictionPolicyName, EvictionPolicyOptions, PolicyNode } from './eviction-policy.js'
import { LruPolicy } from './lru.js'
import { WTinyLfuPolicy } from './w-tinylfu.js'
import { StrataError } from '../../errors/index.js'

export { PolicyNode } from './eviction-policy.js'
export type { EvictionPolicy, EvictionPolicyName, EvictionPolicyOptions, PolicyKey } from './eviction-policy.js'
export { LruPolicy } from './lru.js'
export { WTinyLfuPolicy } from './w-tinylfu.js'
export { FrequencySketch } from './frequency-sketch.js'

export const EVICTION_POLICY_NAMES: readonly EvictionPolicyName[] = ['w-tinylfu', 'lru']

/** Builds the named policy; an unknown name (from configuration) is an `E_INVALID_OPTION`. */
export function createEvictionPolicy<N extends PolicyNode = PolicyNode>(
  name: EvictionPolicyName,
  options: EvictionPolicyOptions<N>,
): EvictionPolicy<N> {
  switch (name) {
    case 'w-tinylfu':
      return new WTinyLfuPolicy<N>(options)
    case 'lru':
      return new LruPolicy<N>(options)
    default:
      throw new StrataError(
        'E_INVALID_OPTION',
        `Unknown eviction policy ${JSON.stringify(name)}; use one of ${EVICTION_POLICY_NAMES.join(', ')}`,
        { context: { option: 'policy', value: name } },
      )
  }
}
