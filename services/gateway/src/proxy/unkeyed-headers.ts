/**
 * Request headers that frameworks and origins commonly honour to rewrite the URL, host, scheme or method, and that
 * the cache key does not include (web cache poisoning: an attacker's `X-Forwarded-Host: evil.example` makes the
 * origin build links to evil.example, and the answer is stored under the ordinary URL for everyone). The proxy drops
 * them before forwarding, so what the origin answers depends only on what the cache key and Vary capture.
 */
export const UNKEYED_OVERRIDE_HEADERS: ReadonlySet<string> = new Set([
  'x-forwarded-host',
  'x-forwarded-server',
  'x-forwarded-scheme',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-path',
  'x-original-url',
  'x-original-host',
  'x-rewrite-url',
  'x-host',
  'x-http-host-override',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'forwarded',
])

export function withoutUnkeyedOverrides(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  for (const name of Object.keys(headers)) if (UNKEYED_OVERRIDE_HEADERS.has(name)) delete headers[name]
  return headers
}
