/**
 * The security headers of API answers (JSON, problem+json, metrics text): what the OWASP REST Security Cheat Sheet asks
 * of an API — nothing may be framed or load anything (`default-src 'none'; frame-ancestors 'none'`), no sniffing,
 * HSTS — and nothing meant for HTML pages. Precomputed: headers are written on every answer, the L1 hit included.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
})

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Which security headers this route's answers carry: the API set (the default, or true), none (false: proxied
     * origin answers keep their own), or a named set the service declared (`headerSets`, e.g. the gateway's
     * 'console' and 'page' sets for HTML).
     */
    securityHeaders?: boolean | string
  }
}
