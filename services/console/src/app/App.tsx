import { useCallback, useEffect, useMemo, useState } from 'react'
import { AlertingApi, AnalyticsApi, GatewayApi, loadConfig } from '../api/strata-api.js'
import type { ConsoleConfig, StatsSnapshot } from '../api/types.js'
import { describeError } from '../api/problem.js'
import { loadPreferences, savePreferences, type Preferences } from '../state/preferences.js'
import { forgetApiKey, keyIdOf, loadApiKey, saveApiKey } from '../state/session.js'
import { appendSnapshot } from '../state/stats-series.js'
import { SignInPage } from '../pages/SignInPage.js'
import { ConsoleContext, type ConsoleContextValue } from './console-context.js'
import { Layout } from './Layout.js'
import { navigate } from './router.js'

const gatewayUrl = window.location.origin

/** Loads config.json, then shows sign-in or the console for the stored key. */
export function App() {
  const [config, setConfig] = useState<ConsoleConfig>()
  const [token, setToken] = useState(() => loadApiKey(sessionStorage, localStorage))
  useEffect(() => {
    void loadConfig().then(setConfig)
  }, [])
  const signIn = useCallback((newToken: string, remember: boolean) => {
    saveApiKey(newToken, remember, sessionStorage, localStorage)
    setToken(newToken)
  }, [])
  const signOut = useCallback(() => {
    forgetApiKey(sessionStorage, localStorage)
    setToken(undefined)
    navigate('/')
  }, [])
  if (config === undefined) return <p className="status">Loading…</p>
  if (token === undefined) return <SignInPage gatewayUrl={gatewayUrl} onSignIn={signIn} />
  return <SignedIn key={token} config={config} token={token} signOut={signOut} />
}

function SignedIn({ config, token, signOut }: { config: ConsoleConfig; token: string; signOut: () => void }) {
  const keyId = keyIdOf(token)
  const [preferences, setPreferencesState] = useState<Preferences>(() => loadPreferences(localStorage, keyId))
  const setPreferences = useCallback(
    (change: Partial<Preferences>) => {
      setPreferencesState((current) => {
        const next = { ...current, ...change }
        savePreferences(localStorage, keyId, next)
        return next
      })
    },
    [keyId],
  )
  useEffect(() => {
    document.documentElement.dataset.theme = preferences.theme
  }, [preferences.theme])

  const apis = useMemo(
    () => ({
      gateway: new GatewayApi(gatewayUrl, token),
      alerting: config.services.alerting === undefined ? undefined : new AlertingApi(config.services.alerting, token),
      analytics: config.services.analytics === undefined ? undefined : new AnalyticsApi(config.services.analytics, token),
    }),
    [config, token],
  )

  // The overview's history is collected for the whole session, so it is already drawn when the user comes back to it.
  const [snapshots, setSnapshots] = useState<StatsSnapshot[]>([])
  const [statsError, setStatsError] = useState<string>()
  useEffect(() => {
    let stopped = false
    const poll = () => {
      apis.gateway.stats().then(
        (snapshot) => {
          if (stopped) return
          setSnapshots((current) => appendSnapshot(current, snapshot))
          setStatsError(undefined)
        },
        (error: unknown) => {
          if (!stopped) setStatsError(describeError(error))
        },
      )
    }
    poll()
    const timer = setInterval(poll, preferences.refreshMs)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [apis, preferences.refreshMs])

  const value: ConsoleContextValue = { config, gatewayUrl, ...apis, keyId, preferences, setPreferences, snapshots, statsError, signOut }
  return (
    <ConsoleContext.Provider value={value}>
      <Layout />
    </ConsoleContext.Provider>
  )
}
