import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet, { type HelmetOptions } from 'helmet'

/**
 * helmet's default security headers (CSP, HSTS, nosniff, frame-ancestors, referrer policy, ...), computed once, for
 * the gateway's HTML pages (Swagger UI: `config.securityHeaders: 'page'`). They do not depend on the request, and
 * running helmet's middleware on every answer cost 40 % of the L1-hit throughput (`pnpm bench gateway`). API answers
 * get the service shell's API set (@strata/service).
 */
export function securityHeaders(options?: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader: () => undefined,
  }
  let failure: unknown
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    failure = error
  })
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error('helmet could not compute the security headers')
  return Object.freeze(headers)
}

/**
 * The console's set: helmet's defaults with a CSP a Vite-built SPA runs under (its scripts and styles are external
 * files from the gateway, no inline script or style element), which may call the gateway and the configured services
 * (alerting, analytics, invalidator) and nothing else.
 */
export function consoleSecurityHeaders(serviceOrigins: readonly string[]): Readonly<Record<string, string>> {
  return securityHeaders({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'", 'data:'],
        'connect-src': ["'self'", ...serviceOrigins],
      },
    },
  })
}
