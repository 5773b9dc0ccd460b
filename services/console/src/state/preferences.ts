import type { KeyStorage } from './session.js'

export type Theme = 'light' | 'dark'

/** What the console remembers per user (per API key id), in localStorage. */
export interface Preferences {
  theme: Theme
  /** How often the overview polls /v1/stats, ms. */
  refreshMs: number
  defaultNamespace: string
  /** The first-start guide was completed or skipped. */
  onboarded: boolean
}

export const REFRESH_CHOICES = [1_000, 2_000, 5_000, 10_000, 30_000] as const

export const DEFAULT_PREFERENCES: Preferences = { theme: 'light', refreshMs: 2_000, defaultNamespace: '', onboarded: false }

const storageKey = (keyId: string) => `strata.console.prefs.${keyId}`

/** A user's preferences; anything missing or malformed in storage falls back to its default. */
export function loadPreferences(storage: KeyStorage, keyId: string): Preferences {
  let stored: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(storage.getItem(storageKey(keyId)) ?? '{}')
    if (parsed !== null && typeof parsed === 'object') stored = parsed as Record<string, unknown>
  } catch {
    // a corrupt entry is the same as none
  }
  const theme = stored.theme === 'dark' || stored.theme === 'light' ? stored.theme : DEFAULT_PREFERENCES.theme
  const refreshMs =
    typeof stored.refreshMs === 'number' && (REFRESH_CHOICES as readonly number[]).includes(stored.refreshMs) ? stored.refreshMs : DEFAULT_PREFERENCES.refreshMs
  const defaultNamespace = typeof stored.defaultNamespace === 'string' ? stored.defaultNamespace : DEFAULT_PREFERENCES.defaultNamespace
  const onboarded = stored.onboarded === true
  return { theme, refreshMs, defaultNamespace, onboarded }
}

export function savePreferences(storage: KeyStorage, keyId: string, preferences: Preferences): void {
  storage.setItem(storageKey(keyId), JSON.stringify(preferences))
}
