/** Where the signed-in key lives: this tab only (sessionStorage), or across restarts with "remember me" (localStorage). */
const KEY = 'strata.console.apiKey'

export interface KeyStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export function loadApiKey(session: KeyStorage, local: KeyStorage): string | undefined {
  return session.getItem(KEY) ?? local.getItem(KEY) ?? undefined
}

export function saveApiKey(token: string, remember: boolean, session: KeyStorage, local: KeyStorage): void {
  session.setItem(KEY, token)
  if (remember) local.setItem(KEY, token)
  else local.removeItem(KEY)
}

export function forgetApiKey(session: KeyStorage, local: KeyStorage): void {
  session.removeItem(KEY)
  local.removeItem(KEY)
}

/**
 * The key's id: tokens are `sk_<id>_<secret>`, the id is public (it names the key in the audit log) and is what
 * preferences are remembered by. A token of another shape (a JWT) is remembered by a short hash instead.
 */
export function keyIdOf(token: string): string {
  const match = /^sk_([A-Za-z0-9]+)_/.exec(token)
  if (match !== null) return match[1]!
  let hash = 2166136261
  for (let i = 0; i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 16777619) >>> 0
  return `t${hash.toString(36)}`
}
