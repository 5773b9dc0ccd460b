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
