import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ConsoleServices } from '@strata/api'

// The shape of config.json is the console's contract with the gateway: declared in @strata/api.
export type { ConsoleConfig, ConsoleServices } from '@strata/api'

/** Where `pnpm console:build` (vite build in services/console) writes the SPA. */
export const DEFAULT_CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist', import.meta.url))

/** The gateway's package version: what the console shows in its footer. */
export const GATEWAY_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

/** Origins (scheme://host:port) of the configured service URLs: what the console's CSP lets it connect to. */
export function serviceOrigins(services: ConsoleServices): string[] {
  const origins = new Set<string>()
  for (const url of Object.values(services)) {
    if (typeof url === 'string' && url !== '') origins.add(new URL(url).origin)
  }
  return [...origins]
}
