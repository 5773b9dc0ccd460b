/**
 * Cross-origin access for the web console, which runs on the gateway's origin and calls the alerting, analytics and
 * invalidator services with the user's API key. Each service passes these options to @fastify/cors, registered before
 * the auth plugin so a preflight (which carries no credentials) is answered before authentication would refuse it.
 */
export interface CorsSettings {
  /** Allowed origins (`scheme://host:port`), or a function for origins known only later (ephemeral ports). */
  origin: string[] | ((origin: string | undefined, callback: (error: Error | null, allow: boolean) => void) => void)
  methods: string[]
  allowedHeaders: string[]
  maxAge: number
}

/** `STRATA_CORS_ORIGINS`: a comma-separated list of origins; empty or unset allows none. */
export function parseCorsOrigins(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '')
    .map((origin) => new URL(origin).origin)
}

/** The options for @fastify/cors: these origins (or the late list), the API's methods and headers, preflights cached 10 min. */
export function consoleCors(origins: readonly string[] | (() => readonly string[])): CorsSettings {
  return {
    origin:
      typeof origins === 'function'
        ? (origin, callback) => callback(null, origin !== undefined && origins().includes(origin))
        : [...origins],
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-api-key'],
    maxAge: 600,
  }
}
