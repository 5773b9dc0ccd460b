import { createContext, useContext } from 'react'
import type { AlertingApi, AnalyticsApi, GatewayApi } from '../api/strata-api.js'
import type { ConsoleConfig, StatsSnapshot } from '../api/types.js'
import type { Preferences } from '../state/preferences.js'

/** What every page of a signed-in console can use. */
export interface ConsoleContextValue {
  config: ConsoleConfig
  gatewayUrl: string
  gateway: GatewayApi
  alerting: AlertingApi | undefined
  analytics: AnalyticsApi | undefined
  keyId: string
  preferences: Preferences
  setPreferences: (change: Partial<Preferences>) => void
  /** /v1/stats snapshots polled at the refresh interval since sign-in, oldest first. */
  snapshots: StatsSnapshot[]
  statsError: string | undefined
  signOut: () => void
}

export const ConsoleContext = createContext<ConsoleContextValue | undefined>(undefined)

export function useConsole(): ConsoleContextValue {
  const value = useContext(ConsoleContext)
  if (value === undefined) throw new Error('useConsole outside a signed-in console')
  return value
}
