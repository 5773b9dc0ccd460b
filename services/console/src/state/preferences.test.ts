import { describe, expect, it } from 'vitest'
import { DEFAULT_PREFERENCES, loadPreferences, savePreferences } from './preferences.js'
import { forgetApiKey, keyIdOf, loadApiKey, saveApiKey, type KeyStorage } from './session.js'

class MapStorage implements KeyStorage {
  readonly map = new Map<string, string>()
  getItem = (key: string) => this.map.get(key) ?? null
  setItem = (key: string, value: string) => void this.map.set(key, value)
  removeItem = (key: string) => void this.map.delete(key)
}

describe('session key and per-user preferences', () => {
  it('keeps the key in the tab only, or also in localStorage with remember me', () => {
    const session = new MapStorage()
    const local = new MapStorage()
    saveApiKey('sk_abc_secret', false, session, local)
    expect(local.map.size).toBe(0)
    expect(loadApiKey(session, local)).toBe('sk_abc_secret')
    saveApiKey('sk_abc_secret', true, new MapStorage(), local)
    expect(loadApiKey(new MapStorage(), local)).toBe('sk_abc_secret')
    forgetApiKey(session, local)
    expect(loadApiKey(session, local)).toBeUndefined()
  })

  it('remembers preferences per key id, and falls back to defaults for anything malformed', () => {
    const local = new MapStorage()
    expect(keyIdOf('sk_abc123def456_xyz')).toBe('abc123def456')
    expect(keyIdOf('eyJhbGciOi.jwt.token')).toMatch(/^t[0-9a-z]+$/)
    savePreferences(local, 'alice', { theme: 'dark', refreshMs: 5_000, defaultNamespace: 'orders', onboarded: true })
    expect(loadPreferences(local, 'alice')).toEqual({ theme: 'dark', refreshMs: 5_000, defaultNamespace: 'orders', onboarded: true })
    expect(loadPreferences(local, 'bob')).toEqual(DEFAULT_PREFERENCES)
    local.setItem('strata.console.prefs.carol', '{"theme":"neon","refreshMs":7,"onboarded":"yes"}')
    expect(loadPreferences(local, 'carol')).toEqual(DEFAULT_PREFERENCES)
    local.setItem('strata.console.prefs.dave', 'not json')
    expect(loadPreferences(local, 'dave')).toEqual(DEFAULT_PREFERENCES)
  })
})
