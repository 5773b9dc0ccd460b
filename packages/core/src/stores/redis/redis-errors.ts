import { StrataError, isStrataError } from '../../errors/index.js'

/** Socket-level failures: the server is not there, or went away mid-command. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])

/**
 * ioredis' own words for "cannot reach Redis right now" (offline queue disabled, retries exhausted, cluster or
 * sentinel unreachable) and the server's replies that mean the same during a restart or a failover.
 */
const UNAVAILABLE_MESSAGES = [
  "isn't writeable",
  "isn't ready",
  'Connection is closed',
  'Reached the max retries per request limit',
  'None of startup nodes is available',
  'Failed to refresh slots cache',
  'All sentinels are unreachable',
  'Command timed out',
  'connect ETIMEDOUT',
  'Too many Cluster redirections',
]
const UNAVAILABLE_REPLIES = /^(LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|BUSY|NOREPLICAS)\b/

/**
 * Connection-class errors become E_L2_UNAVAILABLE, so the engine's circuit breaker can open and serve from L1.
 * Anything else (a script error, a wrong type) is a bug or bad data, and is passed through untouched.
 */
export function toStrataError(error: unknown, store: string): unknown {
  if (isStrataError(error) || !(error instanceof Error)) return error
  if (isRedisUnavailable(error)) {
    return new StrataError('E_L2_UNAVAILABLE', `The ${store} store cannot be reached: ${error.message}`, {
      cause: error,
      context: { store },
    })
  }
  return error
}

/**
 * Whether an ioredis error means "Redis cannot be reached right now" (a failover, a restart, a dropped connection),
 * as opposed to a bug or bad data. Shared with the other Redis adapters (rate limits), so each can type its outage.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError') return true
  if (UNAVAILABLE_REPLIES.test(error.message)) return true
  if (UNAVAILABLE_MESSAGES.some((text) => error.message.includes(text))) return true
  const cause = (error as { lastNodeError?: unknown }).lastNodeError
  return isRedisUnavailable(cause)
}
