/**
 * What a caller may do: scopes per namespace. A grant names one namespace, a prefix (`orders.*`) or every namespace
 * (`*`); `admin` on a namespace implies every other scope there. Global operations (keys, audit, subject purges) ask
 * for a scope on `*`, which only a `*` grant satisfies, so a namespace admin cannot mint keys for other namespaces.
 */
import { SCOPES, type Grant, type Scope } from '@strata/api'

// Scopes and grants are part of the HTTP contract (a key's grants): declared once in @strata/api. A grant's
// namespace is a namespace name, `prefix*`, or `*` for every namespace.
export { SCOPES, type Grant, type Scope } from '@strata/api'

/** Roles are named bundles of scopes, so keys can be made as `{ role: 'writer', namespace: 'orders' }`. */
export const ROLES = {
  reader: ['read'],
  writer: ['read', 'write'],
  invalidator: ['read', 'invalidate'],
  admin: ['read', 'write', 'invalidate', 'admin'],
} as const satisfies Record<string, readonly Scope[]>
export type Role = keyof typeof ROLES

/** The namespace a requirement names when it is not about one namespace. */
export const ANY_NAMESPACE = '*'

export function grantForRole(role: Role, namespace: string): Grant {
  return { namespace, scopes: [...ROLES[role]] }
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value)
}

function covers(grantNamespace: string, namespace: string): boolean {
  if (grantNamespace === ANY_NAMESPACE) return true
  if (namespace === ANY_NAMESPACE) return false
  if (grantNamespace.endsWith('*')) return namespace.startsWith(grantNamespace.slice(0, -1))
  return grantNamespace === namespace
}

/** Whether `grants` allow `scope` on `namespace`. */
export function allows(grants: readonly Grant[], scope: Scope, namespace: string): boolean {
  return grants.some((grant) => covers(grant.namespace, namespace) && (grant.scopes.includes(scope) || grant.scopes.includes('admin')))
}

/**
 * Grants from an OAuth-style `scope` claim: space-separated `<scope>:<namespace>` items (`read:orders write:*`);
 * items that do not parse are ignored, so a token minted for other audiences grants nothing here.
 */
export function grantsFromScopeClaim(claim: unknown): Grant[] {
  if (typeof claim !== 'string') return []
  const byNamespace = new Map<string, Set<Scope>>()
  for (const item of claim.split(/\s+/)) {
    const colon = item.indexOf(':')
    if (colon <= 0 || colon === item.length - 1) continue
    const scope = item.slice(0, colon)
    const namespace = item.slice(colon + 1)
    if (!isScope(scope)) continue
    let scopes = byNamespace.get(namespace)
    if (scopes === undefined) byNamespace.set(namespace, (scopes = new Set()))
    scopes.add(scope)
  }
  return [...byNamespace].map(([namespace, scopes]) => ({ namespace, scopes: [...scopes] }))
}
