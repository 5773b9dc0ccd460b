/** The URLs of the services the console talks to besides the gateway; a service left out has no page data. */
export interface ConsoleServices {
  alerting?: string
  analytics?: string
  invalidator?: string
}

/** What the gateway's `/console/config.json` tells the console (docs/guides/gateway.md, "The console"). */
export interface ConsoleConfig {
  mode: 'embedded' | 'gateway'
  version: string
  services: ConsoleServices
}
