import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { StrataError } from '@strata/core'
import { ANY_NAMESPACE, allows, type Scope } from '../access/grants.js'
import { credentialOf, type Authenticator } from '../access/authenticator.js'
import type { Principal, RateLimitSpec } from '../access/principal.js'
import type { AuditTrail } from '../audit/audit-trail.js'
import type { AuditOutcome } from '../audit/audit-record.js'
import type { RateLimiter } from '../rate-limit/rate-limiter.js'

/**
 * What a route needs, declared in its `config.auth`: 'public', or a scope on a namespace. The namespace is a fixed
 * name, a function of the request, or (the default) the route's `:ns` parameter, falling back to `*` (a global
 * operation) for routes without one. A route that declares nothing is treated as needing `admin` on `*` (fail
 * closed), and the gateway's route matrix test makes sure none is left undeclared.
 */
export type AuthRequirement =
  | 'public'
  | {
      scope: Scope
      namespace?: string | ((request: FastifyRequest) => string)
      /** Audit action name; default `<scope>` plus the route. Set `audit: false` to skip successful reads. */
      action?: string
      audit?: boolean
      /** What the audit record names as the resource; default `namespace:<ns>`, or `route:<url>` for global routes. */
      resource?: (request: FastifyRequest) => string
      /** Requests for which the route is public after all (e.g. a proxy upstream configured as public). */
      publicWhen?: (request: FastifyRequest) => boolean
    }

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRequirement
  }
  interface FastifyRequest {
    principal: Principal | undefined
  }
}

export interface AuthPluginOptions {
  authenticator: Authenticator
  /** Per-key request rate (Redis: shared by every instance). None: no limit. */
  rateLimiter?: RateLimiter | undefined
  /** The limit for principals that carry none of their own. Default 50/s, burst 100. */
  defaultRateLimit?: RateLimitSpec
  /**
   * Failed sign-ins per client address (needs `rateLimiter`). Past it the answer is 429 and the failure is not
   * audited again, so a flood of bad credentials cannot flood the audit log. Default 5/s, burst 20.
   */
  failedSignInLimit?: RateLimitSpec
  /** Audits admin actions, writes, invalidations and sign-in failures. */
  audit?: AuditTrail | undefined
  /**
   * When credentials are checked. `onRequest` (the default) refuses before the body is even read; `preValidation`
   * runs after body parsing, for services whose namespace is in the body (a requirement's namespace function can
   * then read `request.body`, unvalidated).
   */
  stage?: 'onRequest' | 'preValidation'
  /** A failed audit append (logged by default). */
  onAuditError?: (error: unknown, request: FastifyRequest) => void
}

const AUDITED_BY_DEFAULT: ReadonlySet<Scope> = new Set(['write', 'invalidate', 'admin'])
const FAIL_CLOSED: AuthRequirement = { scope: 'admin', namespace: ANY_NAMESPACE }

/** Resolves what a route asks for: its declaration, or admin on `*` when it declared nothing. */
export function requirementOf(
  request: FastifyRequest,
): { scope: Scope; namespace: string; action: string; audit: boolean; resource?: ((request: FastifyRequest) => string) | undefined } | 'public' {
  const declared = request.routeOptions.config.auth ?? FAIL_CLOSED
  if (declared === 'public' || declared.publicWhen?.(request) === true) return 'public'
  const params = request.params as Record<string, unknown> | undefined
  const namespace =
    typeof declared.namespace === 'function'
      ? declared.namespace(request)
      : (declared.namespace ?? (typeof params?.ns === 'string' ? params.ns : ANY_NAMESPACE))
  return {
    scope: declared.scope,
    namespace,
    action: declared.action ?? `${declared.scope} ${request.method} ${request.routeOptions.url ?? ''}`,
    audit: declared.audit ?? AUDITED_BY_DEFAULT.has(declared.scope),
    resource: declared.resource,
  }
}

/**
 * Authentication, authorisation and rate limiting for every route of the app it is registered on (fastify-plugin:
 * the hooks are not encapsulated). Order per request: credentials (401), scope on the namespace (403), rate (429).
 * Answers are thrown as StrataErrors, so the app's one error handler turns them into problem+json.
 */
export const authPlugin = fp(
  (app: FastifyInstance, options: AuthPluginOptions, done: (error?: Error) => void) => {
    const defaultLimit = options.defaultRateLimit ?? { perSecond: 50, burst: 100 }
    const audit = (request: FastifyRequest, entry: { actor: string; action: string; resource: string; outcome: AuditOutcome; detail?: Record<string, unknown> }) => {
      if (options.audit === undefined) return
      options.audit
        .record({ ...entry, ip: request.ip, at: Date.now() })
        .catch((error: unknown) => (options.onAuditError ?? ((e, r) => r.log.error({ err: e }, 'audit append failed')))(error, request))
    }
    app.decorateRequest('principal', undefined)

    app.addHook(options.stage ?? 'onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const requirement = requirementOf(request)
      if (requirement === 'public') return
      const resource = resourceOf(requirement, request)
      const credential = credentialOf(request.headers)
      const principal = credential.kind === 'none' ? undefined : await options.authenticator.authenticate(credential.token)
      if (principal === undefined) {
        if (options.rateLimiter !== undefined) {
          const decision = await options.rateLimiter.take(`signin-failures:${request.ip}`, options.failedSignInLimit ?? { perSecond: 5, burst: 20 })
          if (!decision.allowed) {
            throw new StrataError('E_RATE_LIMITED', 'Too many failed sign-ins from this address', { context: { retryAfterMs: decision.retryAfterMs } })
          }
        }
        audit(request, {
          actor: 'anonymous',
          action: 'auth.failed',
          resource,
          outcome: 'denied',
          detail: { reason: credential.kind === 'none' ? 'no credentials' : 'invalid credentials', method: request.method },
        })
        reply.header('www-authenticate', 'Bearer realm="strata"')
        throw new StrataError(
          'E_UNAUTHENTICATED',
          credential.kind === 'none'
            ? 'Send an API key as Authorization: Bearer <key> (or x-api-key), or a JWT as Authorization: Bearer <token>'
            : 'The API key or token is unknown, revoked, expired or malformed',
        )
      }
      request.principal = principal
      if (!allows(principal.grants, requirement.scope, requirement.namespace)) {
        audit(request, { actor: principal.id, action: requirement.action, resource, outcome: 'denied', detail: { needed: requirement.scope } })
        throw new StrataError(
          'E_FORBIDDEN',
          `'${principal.name}' has no '${requirement.scope}' grant on ${requirement.namespace === ANY_NAMESPACE ? 'every namespace (*)' : `namespace '${requirement.namespace}'`}`,
          { context: { scope: requirement.scope, namespace: requirement.namespace } },
        )
      }
      if (options.rateLimiter !== undefined) {
        const decision = await options.rateLimiter.take(principal.id, principal.rateLimit ?? defaultLimit)
        reply.header('x-ratelimit-remaining', String(decision.remaining))
        if (!decision.allowed) {
          throw new StrataError('E_RATE_LIMITED', `Rate limit of ${(principal.rateLimit ?? defaultLimit).perSecond}/s exceeded for ${principal.id}`, {
            context: { retryAfterMs: decision.retryAfterMs, principal: principal.id },
          })
        }
      }
    })

    app.addHook('onResponse', (request, reply, next) => {
      const principal = request.principal
      if (principal !== undefined && reply.statusCode !== 401 && reply.statusCode !== 403) {
        const requirement = requirementOf(request)
        if (requirement !== 'public' && requirement.audit && reply.statusCode !== 429) {
          audit(request, {
            actor: principal.id,
            action: requirement.action,
            resource: resourceOf(requirement, request),
            outcome: reply.statusCode < 400 ? 'allowed' : 'failed',
            detail: { status: reply.statusCode, method: request.method },
          })
        }
      }
      next()
    })
    done()
  },
  { name: 'strata-auth' },
)

function resourceOf({ namespace, resource }: { namespace: string; resource?: ((request: FastifyRequest) => string) | undefined }, request: FastifyRequest): string {
  if (resource !== undefined) return resource(request)
  const route = request.routeOptions.url ?? request.url.split('?')[0] ?? ''
  return namespace === ANY_NAMESPACE ? `route:${route}` : `namespace:${namespace}`
}
