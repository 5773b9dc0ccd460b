/**
 * pino redact paths: credentials and cookies never reach a log line, whichever serializer put the request or
 * response headers there. (Values are never logged; keys of `hashKeys` namespaces go through telemetryKey.)
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'token',
  '*.token',
  'secret',
  '*.secret',
]

const KEY_PATH = /^(\/v1\/namespaces\/([^/?]+)\/keys\/)([^/?]+)(.*)$/

/**
 * A request URL as logs may show it: the key of a KV route is replaced by `telemetryKey` for namespaces whose
 * security policy says `hashKeys`, and the query string is dropped (it can carry anything).
 */
export function loggableUrl(url: string, hashKeysOf: (namespace: string) => boolean, hash: (key: string) => string): string {
  const path = url.split('?')[0] ?? url
  const match = KEY_PATH.exec(path)
  if (match === null) return path
  const [, head = '', namespace = '', key = '', rest = ''] = match
  if (!hashKeysOf(namespace)) return path
  let decoded = key
  try {
    decoded = decodeURIComponent(key)
  } catch {
    // A malformed escape is logged hashed as it came.
  }
  return `${head}${hash(decoded)}${rest}`
}
