import type { Grant } from './grants.js'

/** Who is calling, once authenticated: an API key (by its public id) or a JWT subject. */
export interface Principal {
  kind: 'api-key' | 'jwt'
  /** `key:<id>` or `jwt:<sub>`: what the audit log records as the actor. */
  id: string
  name: string
  grants: Grant[]
  /** Requests per second this principal may make (token bucket refill); undefined: the service default. */
  rateLimit?: RateLimitSpec | undefined
}

export interface RateLimitSpec {
  /** Sustained requests per second. */
  perSecond: number
  /** Bucket size: how many requests may come at once. */
  burst: number
}
