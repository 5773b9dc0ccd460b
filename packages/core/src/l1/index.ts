export { MemoryTier, type MemoryTierOptions, type RemovalCause } from './memory-tier.js'
export {
  createEvictionPolicy,
  EVICTION_POLICY_NAMES,
  FrequencySketch,
  LruPolicy,
  PolicyNode,
  WTinyLfuPolicy,
  type EvictionPolicy,
  type EvictionPolicyName,
  type EvictionPolicyOptions,
  type PolicyKey,
} from './eviction/index.js'
export { TimerWheel, type TimerNode } from './expiry/timer-wheel.js'
