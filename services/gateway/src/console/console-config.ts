import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The URLs of the services the console talks to besides the gateway; a service left out has no page data. */
export interface ConsoleServices {
  alerting?: string
  analytics?: string
  invalidator?: string
}

/** What `/console/config.json` tells the console (docs/guides/gateway.md, "The console"). */
export interface ConsoleConfig {
  mode: 'embedded' | 'gateway'
  version: string
  services: ConsoleServices
}

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
