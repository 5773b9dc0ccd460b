import { createHash } from 'node:crypto'

export interface NamespaceAccessPolicy {
  /** Fraction of accesses published, 0..1. */
  sampleRate?: number
  /** Publish a hash of the key instead of the key (sensitive namespaces: analytics still finds hot keys). */
  hashKeys?: boolean
}

export interface AccessSamplingConfig {
  /** For namespaces without a policy of their own. Default 0.01. */
  defaultSampleRate?: number
  namespaces?: Record<string, NamespaceAccessPolicy>
  /** Mixed into key hashes, so a hashed key cannot be confirmed by hashing a guess without it. */
  hashSalt?: string
  /** Where batches go. Default `strata.access.v1`. */
  topic?: string
}

interface Resolved {
  rate: number
  hash: boolean
}

/**
 * Which accesses are sampled and what key they carry. Sampling is per access (Bernoulli), so rates and hit ratios
 * scaled by 1/rate are unbiased; a rate of 1 keeps every access, which the miss-ratio curves need to be exact.
 */
export class AccessSampling {
  private readonly defaultPolicy: Resolved
  private readonly policies = new Map<string, Resolved>()
  private readonly salt: string

  constructor(config: AccessSamplingConfig = {}, private readonly random: () => number = Math.random) {
    this.defaultPolicy = { rate: rateOf(config.defaultSampleRate ?? 0.01, 'defaultSampleRate'), hash: false }
    for (const [namespace, policy] of Object.entries(config.namespaces ?? {})) {
      this.policies.set(namespace, { rate: rateOf(policy.sampleRate ?? this.defaultPolicy.rate, `${namespace}.sampleRate`), hash: policy.hashKeys === true })
    }
    this.salt = config.hashSalt ?? ''
  }

  /** The sample rate if this access is sampled, else 0. */
  sample(namespace: string): number {
    const rate = (this.policies.get(namespace) ?? this.defaultPolicy).rate
    return rate > 0 && (rate >= 1 || this.random() < rate) ? rate : 0
  }

  hashes(namespace: string): boolean {
    return (this.policies.get(namespace) ?? this.defaultPolicy).hash
  }

  /** The key as published: itself, or `h:` + 16 bytes of SHA-256(salt, namespace, key) in base64url. */
  publishedKey(namespace: string, key: string): string {
    if (!this.hashes(namespace)) return key
    return `h:${createHash('sha256').update(this.salt).update('\0').update(namespace).update('\0').update(key).digest('base64url').slice(0, 22)}`
  }
}

function rateOf(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new RangeError(`access sampling: ${name} must be within 0..1, got ${value}`)
  return value
}
