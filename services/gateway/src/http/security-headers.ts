import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet from 'helmet'

/**
 * helmet's default security headers (CSP, HSTS, nosniff, frame-ancestors, referrer policy, ...), computed once. They
 * do not depend on the request, and running helmet's middleware on every answer cost 40 % of the L1-hit throughput
 * (`pnpm bench gateway`): the gateway sets this precomputed set instead.
 */
export function securityHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader: () => undefined,
  }
  let failure: unknown
  helmet()({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    failure = error
  })
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error('helmet could not compute the security headers')
  return Object.freeze(headers)
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: this route's answers go without the gateway's security headers (proxied origin responses). */
    securityHeaders?: boolean
  }
}
