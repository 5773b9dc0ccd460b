/**
 * Request headers that frameworks and origins commonly honour to rewrite the URL, host, scheme, port, prefix or
 * method, and that the cache key does not include (web cache poisoning: an attacker's `X-Forwarded-Host: evil.example`
 * makes the origin build links to evil.example, and the answer is stored under the ordinary URL for everyone). The
 * proxy drops them before forwarding whatever the method, so what the origin answers depends only on what the cache
 * key and Vary capture. Names are compared with `_` read as `-`: servers that map headers to CGI variables
 * (`HTTP_X_FORWARDED_HOST`) read `X_Forwarded_Host` as the same field.
 */
export const UNKEYED_OVERRIDE_HEADERS: ReadonlySet<string> = new Set([
  'forwarded',
  'front-end-https',
  'x-host',
  'x-http-host-override',
  'x-http-method',
  'x-http-method-override',
  'x-method-override',
  'x-original-host',
  'x-original-method',
  'x-original-uri',
  'x-original-url',
  'x-proxy-url',
  'x-real-ip',
  'x-rewrite-url',
  'x-url-scheme',
  'x-scheme',
  'x-client-ip',
  'x-cluster-client-ip',
  'true-client-ip',
  'client-ip',
  'base-url',
])

/** Whole families: every X-Forwarded-*, X-Original-*, X-Envoy-* and *-Method-Override header. */
const UNKEYED_PATTERNS = [/^x-forwarded-/, /^x-original-/, /^x-envoy-/, /^x-amzn-/, /-method-override$/, /^x-rewrite-/]

export function isUnkeyedOverride(name: string): boolean {
  const normalized = name.toLowerCase().replace(/_/g, '-')
  return UNKEYED_OVERRIDE_HEADERS.has(normalized) || UNKEYED_PATTERNS.some((pattern) => pattern.test(normalized))
}

/**
 * Request headers an origin may get when the answer can be stored and shared (GET, HEAD): content negotiation,
 * conditionals, the caller's own credentials (RFC 9111 §3.5 decides storage), and tracing. Anything else (custom
 * `X-` fields an origin might build the page from without saying `Vary`) is dropped unless the upstream lists it
 * in `forwardHeaders`. Unsafe methods are never stored, so they keep every field except the overrides above.
 */
export const SHARED_REQUEST_ALLOWLIST: ReadonlySet<string> = new Set([
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'authorization',
  'cache-control',
  'pragma',
  'cookie',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'if-range',
  'range',
  'user-agent',
  'referer',
  'origin',
  'dnt',
  'save-data',
  'upgrade-insecure-requests',
  'priority',
  'traceparent',
  'tracestate',
  'baggage',
  'x-request-id',
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'via',
])

const SHARED_PREFIXES = ['sec-fetch-', 'sec-ch-']

export function allowedOnSharedRequest(name: string, extra: ReadonlySet<string>): boolean {
  return SHARED_REQUEST_ALLOWLIST.has(name) || extra.has(name) || SHARED_PREFIXES.some((prefix) => name.startsWith(prefix))
}

export function withoutUnkeyedOverrides(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  for (const name of Object.keys(headers)) if (isUnkeyedOverride(name)) delete headers[name]
  return headers
}
