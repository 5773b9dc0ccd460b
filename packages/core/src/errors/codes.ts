/**
 * Stable error codes. Callers match on these, HTTP maps them to problem+json once, and they never change meaning.
 * `status` is the HTTP status the gateway answers with; 4xx is the caller's mistake, 5xx is ours or a dependency's.
 */
export const ERROR_CODES = {
  E_KEY_INVALID: { status: 400, title: 'The key is empty or contains characters that are not allowed' },
  E_KEY_TOO_LONG: { status: 414, title: 'The key is longer than the configured maximum' },
  E_VALUE_TOO_LARGE: { status: 413, title: 'The encoded value is larger than the configured maximum' },
  E_VALUE_UNDEFINED: { status: 400, title: 'undefined cannot be cached; use null for an explicit empty value' },
  E_INVALID_TTL: { status: 400, title: 'A duration is negative, not finite, or out of range' },
  E_INVALID_OPTION: { status: 400, title: 'An option has a value that is not allowed' },
  E_INVALID_TAG: { status: 400, title: 'A tag is empty or too long' },
  E_LOADER_FAILED: { status: 502, title: 'The loader (origin) failed and no stale value could be served' },
  E_LOADER_TIMEOUT: { status: 504, title: 'The loader did not answer within the hard timeout' },
  E_WRITER_FAILED: { status: 502, title: 'The write-through writer failed; the cache was left untouched' },
  E_NO_QUEUE: { status: 500, title: 'A write-behind write was made but no queue is configured' },
  E_L2_UNAVAILABLE: { status: 503, title: 'The L2 store cannot be reached' },
  E_BUS_UNAVAILABLE: { status: 503, title: 'The event bus cannot be reached' },
  E_CODEC_DECODE: { status: 500, title: 'Stored bytes could not be decoded (corrupt or foreign data)' },
  E_DECRYPT_FAILED: { status: 500, title: 'Stored bytes could not be decrypted (wrong key, unknown key id or tampering)' },
  E_UNKNOWN_KEY_ID: { status: 500, title: 'An encryption key id is not in the keyring' },
  E_CACHE_CLOSED: { status: 503, title: 'The cache was closed' },
  E_ORIGIN_REJECTED: { status: 502, title: 'The origin refused a write-behind write on its last attempt; it is in the dead-letter queue' },
  E_BACKPRESSURE: { status: 503, title: 'Write-behind is over its queue depth or flush lag limit; retry after retryAfterMs' },
  E_EVENT_INVALID: { status: 400, title: 'An event is not valid JSON, does not match its schema, or lacks a field a rule needs' },
  E_RULES_INVALID: { status: 500, title: 'The invalidation rules file has a syntax, schema or template error' },
  // Alerting (services/alerting).
  E_ALERT_RULES_INVALID: { status: 500, title: 'The alerting rules file has a syntax or schema error, or a bad rule or receiver' },
  E_ALERT_RULE_INVALID: { status: 400, title: 'An alert rule sent to the API does not match the rule schema or names an unknown template' },
  E_ALERT_RULE_NOT_FOUND: { status: 404, title: 'No alert rule with this name was created through the API' },
  E_SILENCE_NOT_FOUND: { status: 404, title: 'No active silence with this id' },
  E_WEBHOOK_SIGNATURE_INVALID: { status: 401, title: 'A webhook delivery has a missing, stale or wrong signature' },
  E_WEBHOOK_FAILED: { status: 502, title: 'A webhook receiver refused a notification on its last attempt; it is in the dead-letter queue' },
  // Warmer (services/warmer).
  E_WARM_TARGET_NOT_FOUND: { status: 404, title: "No target with this name is in the warmer's plan" },
  E_WARM_FAILED: { status: 502, title: 'Warming a target or one of its items failed (its loader, query or the cache refused it)' },
  // Raised by the HTTP SDK (@strata/client) when no answer came back; never sent by a server.
  E_CLIENT_TIMEOUT: { status: 504, title: 'The gateway did not answer within the client timeout (after any retries)' },
  E_CLIENT_UNREACHABLE: { status: 503, title: 'The gateway could not be reached (connection refused, reset or DNS failure, after any retries)' },
  E_CONFIG_INVALID: { status: 500, title: 'The configuration (file or environment) does not match its schema' },
  E_HOOK_FAILED: { status: 500, title: 'A cache hook threw or rejected; the operation went on without it' },
  // HTTP (gateway) codes: what a caller of the HTTP API can get wrong, and what can fail between us and an origin.
  E_INVALID_REQUEST: { status: 400, title: 'The request does not match the schema of this route' },
  E_MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  E_NAMESPACE_NOT_FOUND: { status: 404, title: 'No namespace with this name is configured' },
  E_KEY_NOT_FOUND: { status: 404, title: 'The key is not in the cache (and the namespace has no origin to load it from)' },
  E_ROUTE_NOT_FOUND: { status: 404, title: 'No route matches this method and path' },
  E_UPSTREAM_NOT_FOUND: { status: 404, title: 'No proxy upstream with this name is configured' },
  E_PRECONDITION_FAILED: { status: 412, title: "The entry does not satisfy the write's condition (If-Match, If-None-Match), or changed while it ran" },
  E_WRITE_CONFLICT: { status: 409, title: 'Another writer or a fill held the key for longer than the lease; retry the conditional write' },
  E_BODY_TOO_LARGE: { status: 413, title: 'The request body is larger than the gateway accepts' },
  E_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body has a content type this route does not accept' },
  E_HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are larger than the gateway accepts' },
  E_ORIGIN_FAILED: { status: 502, title: 'The origin could not be reached or answered with an error' },
  E_INVALID_TARGET: { status: 400, title: 'The proxied request target is malformed or leaves the upstream (dot segments, bad percent-encoding, absolute-form)' },
  E_UPSTREAM_BUSY: { status: 503, title: "The upstream's connections and fair queue are full; retry after retryAfterMs" },
  E_NOT_CACHED: { status: 504, title: 'only-if-cached was asked and no stored response can be served' },
  E_SHUTTING_DOWN: { status: 503, title: 'The gateway is shutting down' },
  // The console's endpoints (issue 11).
  E_CONSOLE_NOT_BUILT: { status: 503, title: 'The web console has not been built; run pnpm console:build' },
  E_UNSUPPORTED_BY_STORE: { status: 501, title: 'The L2 store cannot do this (Memcached cannot list its keys)' },
  E_INVALID_CURSOR: { status: 400, title: 'The cursor was not returned by this listing, or is malformed' },
  // Security (issue 10): authentication, authorisation, rate limits and namespace security policies.
  E_UNAUTHENTICATED: { status: 401, title: 'No credentials, or an API key or token that is unknown, revoked, expired or malformed' },
  E_FORBIDDEN: { status: 403, title: 'The credentials are valid but lack the scope for this namespace' },
  E_RATE_LIMITED: { status: 429, title: 'The API key is over its request rate; retry after retryAfterMs' },
  E_API_KEY_NOT_FOUND: { status: 404, title: 'No API key with this id exists' },
  E_POLICY_VIOLATION: { status: 400, title: "The request breaks the namespace's security policy (max TTL, value size, key pattern)" },
  E_ENCRYPTION_REQUIRED: { status: 400, title: 'The namespace policy requires encryption and no keyring is configured for it' },
  E_INTERNAL: { status: 500, title: 'An unexpected error occurred in the gateway' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ERROR_CODES
