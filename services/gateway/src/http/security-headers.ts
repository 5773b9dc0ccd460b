import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet, { type HelmetOptions } from 'helmet'

/**
 * helmet's default security headers (CSP, HSTS, nosniff, frame-ancestors, referrer policy, ...), computed once. They
 * do not depend on the request, and running helmet's middleware on every answer cost 40 % of the L1-hit throughput
 * (`pnpm bench gateway`): the gateway sets this precomputed set instead.
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
 * The set for API answers (JSON, problem+json, metrics text): what the OWASP REST Security Cheat Sheet asks of an API —
 * no content may be framed or load anything (`default-src 'none'; frame-ancestors 'none'`), no sniffing, HSTS — and
 * nothing meant for HTML pages. A quarter of helmet's bytes: headers are written and parsed on every L1 hit.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
})

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

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * false: this route's answers go without the gateway's security headers (proxied origin responses). 'console':
     * the console's set (a CSP for the SPA, see consoleSecurityHeaders). 'page': helmet's defaults, for the HTML
     * of Swagger UI at /docs. Default: the API set (API_SECURITY_HEADERS).
     */
    securityHeaders?: boolean | 'console' | 'page'
  }
}
