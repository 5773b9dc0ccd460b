import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { StrataError } from '@strata/core'
import { ANY_NAMESPACE, allows, type Scope } from '../access/grants.js'
import { credentialOf, type Authenticator } from '../access/authenticator.js'
import type { Principal, RateLimitSpec } from '../access/principal.js'
import { parseApiKeyToken } from '../api-keys/api-key-token.js'
import type { AuditTrail } from '../audit/audit-trail.js'
import type { AuditOutcome } from '../audit/audit-record.js'
import { DenialAggregator } from '../audit/denial-aggregator.js'
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
   * Failed sign-ins per client address, per presented key id and in total (each needs `rateLimiter`). Past any of
   * them a failed sign-in answers 429 and is not audited again, so a flood of bad credentials floods neither the
   * audit log nor (spread over many addresses) the store. A valid key is never refused by these: verification is
   * cheap enough to always run, so knowing a key id does not let anyone lock its owner out.
   * Defaults: 5/s burst 20 per address, 5/s burst 20 per key id, 100/s burst 500 in total.
   */
  failedSignInLimit?: RateLimitSpec
  failedSignInPerKeyLimit?: RateLimitSpec
  failedSignInGlobalLimit?: RateLimitSpec
  /**
   * Denials (403) are audited once per (principal, action, resource) and window, with the count of repeats; they
   * also spend the principal's rate limit, so a key cannot hammer what it may not touch. Default 60 s.
   */
  denialWindowMs?: number
  /** Audits admin actions, writes, invalidations and sign-in failures. */
  audit?: AuditTrail | undefined
  /**
   * When credentials are checked. `onRequest` (the default) refuses before the body is even read; `preValidation`
   * runs after body parsing, for services whose namespace is in the body (a requirement's namespace function can
   * then read `request.body`, unvalidated).
   */
  stage?: 'onRequest' | 'preValidation'
}

const AUDITED_BY_DEFAULT: ReadonlySet<Scope> = new Set(['write', 'invalidate', 'admin'])
const FAIL_CLOSED: AuthRequirement = { scope: 'admin', namespace: ANY_NAMESPACE }

/** Resolves what a route asks for: its declaration, or admin on `*` when it declared nothing. */
export function requirementOf(
  request: FastifyRequest,
): { scope: Scope; namespace: string; action: string; audit: boolean; resource?: ((request: FastifyRequest) => string) | undefined } | 'public' {
  // One read of routeOptions: Fastify builds a new object on every access.
  const route = request.routeOptions
  const declared = declaredOf(route.config.auth, request)
  if (declared === 'public') return 'public'
  return {
    scope: declared.scope,
    namespace: namespaceOf(declared, request),
    action: declared.action ?? `${declared.scope} ${request.method} ${route.url ?? ''}`,
    audit: declared.audit ?? AUDITED_BY_DEFAULT.has(declared.scope),
    resource: declared.resource,
  }
}

/** What the route declared, with a declaration of nothing failing closed and `publicWhen` applied. */
function declaredOf(auth: AuthRequirement | undefined, request: FastifyRequest): Exclude<AuthRequirement, 'public'> | 'public' {
  const declared = auth ?? FAIL_CLOSED
  return declared === 'public' || declared.publicWhen?.(request) === true ? 'public' : declared
}

function namespaceOf(declared: Exclude<AuthRequirement, 'public'>, request: FastifyRequest): string {
  if (typeof declared.namespace === 'function') return declared.namespace(request)
  const params = request.params as Record<string, unknown> | undefined
  return declared.namespace ?? (typeof params?.ns === 'string' ? params.ns : ANY_NAMESPACE)
}

/**
 * Authentication, authorisation and rate limiting for every route of the app it is registered on (fastify-plugin:
 * the hooks are not encapsulated). Order per request: path encoding (400), credentials (401), scope on the namespace (403), rate (429; denials
 * spend the rate too).
 * Answers are thrown as StrataErrors, so the app's one error handler turns them into problem+json.
 */
export const authPlugin = fp(
  (app: FastifyInstance, options: AuthPluginOptions, done: (error?: Error) => void) => {
    const defaultLimit = options.defaultRateLimit ?? { perSecond: 50, burst: 100 }
    // Appends never hold a request: a failed one is buffered and retried by the trail, which reports it.
    const audit = (request: FastifyRequest, entry: { actor: string; action: string; resource: string; outcome: AuditOutcome; detail?: Record<string, unknown> }) => {
      options.audit?.submit({ ...entry, ip: request.ip, at: Date.now() })
    }
    const trail = options.audit
    const denials = trail === undefined ? undefined : new DenialAggregator((entry) => trail.submit(entry), { windowMs: options.denialWindowMs ?? 60_000 })
    app.addHook('onClose', (_instance, next) => {
      denials?.flush()
      next()
    })
    const failureLimits = (request: FastifyRequest, token: string | undefined): Array<{ subject: string; limit: RateLimitSpec; scope: string }> => {
      const keyId = token === undefined ? undefined : parseApiKeyToken(token)?.id
      return [
        { subject: `signin-failures:${request.ip}`, limit: options.failedSignInLimit ?? { perSecond: 5, burst: 20 }, scope: 'from this address' },
        ...(keyId === undefined ? [] : [{ subject: `signin-failures:key:${keyId}`, limit: options.failedSignInPerKeyLimit ?? { perSecond: 5, burst: 20 }, scope: 'for this key id' }]),
        { subject: 'signin-failures:*', limit: options.failedSignInGlobalLimit ?? { perSecond: 100, burst: 500 }, scope: 'in total' },
      ]
    }
    app.decorateRequest('principal', undefined)

    /**
     * The common case answered without a promise: a key verified within the cache TTL, allowed on the namespace, and
     * a rate decision this instance can make alone (MemoryRateLimiter, or a token of a Redis lease). Anything else —
     * a first sign-in, a refusal to explain, a lease to renew — is left to `check`, which repeats these cheap steps.
     */
    const fastCheck = (request: FastifyRequest, reply: FastifyReply): boolean => {
      checkPathEncoding(request.url)
      const declared = declaredOf(request.routeOptions.config.auth, request)
      if (declared === 'public') return true
      const credential = credentialOf(request.headers)
      if (credential.kind === 'none') return false
      const principal = options.authenticator.cached(credential.token)
      if (principal === undefined || !allows(principal.grants, declared.scope, namespaceOf(declared, request))) return false
      const limiter = options.rateLimiter
      if (limiter === undefined) {
        request.principal = principal
        return true
      }
      const limit = principal.rateLimit ?? defaultLimit
      const decision = limiter.takeLocal?.(principal.id, limit)
      if (decision === undefined) return false
      request.principal = principal
      reply.header('x-ratelimit-remaining', String(decision.remaining))
      if (!decision.allowed) throw rateLimited(limit, principal.id, decision.retryAfterMs)
      return true
    }

    app.addHook(options.stage ?? 'onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      let answered: boolean
      try {
        answered = fastCheck(request, reply)
      } catch (error) {
        return done(error as Error)
      }
      if (answered) return done()
      check(request, reply).then(() => done(), done)
    })

    const check = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      // Before anything is looked up or recorded: a NUL or broken UTF-8 in the path would reach stores that refuse it.
      checkPathEncoding(request.url)
      const requirement = requirementOf(request)
      if (requirement === 'public') return
      const resource = resourceOf(requirement, request)
      const credential = credentialOf(request.headers)
      const principal = credential.kind === 'none' ? undefined : await options.authenticator.authenticate(credential.token)
      if (principal === undefined) {
        const limiter = options.rateLimiter
        if (limiter !== undefined) {
          const limits = failureLimits(request, credential.kind === 'token' ? credential.token : undefined)
          const decisions = await Promise.all(limits.map(({ subject, limit }) => limiter.take(subject, limit)))
          const refused = decisions.findIndex((d) => !d.allowed)
          if (refused !== -1) {
            throw new StrataError('E_RATE_LIMITED', `Too many failed sign-ins ${limits[refused]!.scope}`, { context: { retryAfterMs: decisions[refused]!.retryAfterMs } })
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
        if (options.rateLimiter !== undefined) {
          const limit = principal.rateLimit ?? defaultLimit
          const decision = await options.rateLimiter.take(principal.id, limit)
          if (!decision.allowed) throw rateLimited(limit, principal.id, decision.retryAfterMs)
        }
        denials?.deny({ actor: principal.id, action: requirement.action, resource, outcome: 'denied', ip: request.ip, at: Date.now(), detail: { needed: requirement.scope } })
        throw new StrataError(
          'E_FORBIDDEN',
          `'${principal.name}' has no '${requirement.scope}' grant on ${requirement.namespace === ANY_NAMESPACE ? 'every namespace (*)' : `namespace '${requirement.namespace}'`}`,
          { context: { scope: requirement.scope, namespace: requirement.namespace } },
        )
      }
      if (options.rateLimiter !== undefined) {
        const limit = principal.rateLimit ?? defaultLimit
        const decision = await options.rateLimiter.take(principal.id, limit)
        reply.header('x-ratelimit-remaining', String(decision.remaining))
        if (!decision.allowed) throw rateLimited(limit, principal.id, decision.retryAfterMs)
      }
    }

    app.addHook('onResponse', (request, reply, next) => {
      const principal = request.principal
      if (principal !== undefined && reply.statusCode !== 401 && reply.statusCode !== 403 && reply.statusCode !== 429 && audited(request)) {
        const requirement = requirementOf(request)
        if (requirement !== 'public') {
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

/** Whether a route's successful calls are audited, read without building the whole requirement (reads are not, by default). */
function audited(request: FastifyRequest): boolean {
  const declared = declaredOf(request.routeOptions.config.auth, request)
  return declared !== 'public' && (declared.audit ?? AUDITED_BY_DEFAULT.has(declared.scope))
}

function rateLimited(limit: RateLimitSpec, principal: string, retryAfterMs: number): StrataError {
  return new StrataError('E_RATE_LIMITED', `Rate limit of ${limit.perSecond}/s exceeded for ${principal}`, { context: { retryAfterMs, principal } })
}

function resourceOf({ namespace, resource }: { namespace: string; resource?: ((request: FastifyRequest) => string) | undefined }, request: FastifyRequest): string {
  if (resource !== undefined) return resource(request)
  const route = request.routeOptions.url ?? request.url.split('?')[0] ?? ''
  return namespace === ANY_NAMESPACE ? `route:${route}` : `namespace:${namespace}`
}

/** E_INVALID_REQUEST for a path whose percent-encoding is not UTF-8 or that holds a NUL. */
function checkPathEncoding(url: string): void {
  const end = url.indexOf('?')
  const path = end === -1 ? url : url.slice(0, end)
  if (!path.includes('%') && !path.includes('\0')) return
  let decoded: string
  try {
    decoded = decodeURIComponent(path)
  } catch {
    throw new StrataError('E_INVALID_REQUEST', 'The request path is not valid percent-encoded UTF-8', { context: { option: 'path' } })
  }
  if (decoded.includes('\0')) throw new StrataError('E_INVALID_REQUEST', 'The request path contains a NUL character (%00)', { context: { option: 'path' } })
}
