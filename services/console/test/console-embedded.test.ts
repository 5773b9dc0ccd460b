import { startPlatformProcess } from '@strata/testkit'
import { consoleJourney } from './support/console-journey.js'

// The platform as `pnpm start` runs it (services/platform as a process: gateway, in-process alerting and analytics,
// demo origin), on ephemeral ports. This run also takes the user guide's screenshots: into a temporary folder, or
// docs/console/ with `pnpm docs:screenshots`.
consoleJourney('console against the embedded platform (pnpm start)', async () => {
  const platform = await startPlatformProcess()
  return { gatewayUrl: platform.urls.gateway, adminKey: platform.adminKey, alertingUrl: platform.urls.alerting, analytics: true, proxy: { upstream: 'demo', path: '/products/1' }, screenshots: true, close: () => platform.stop() }
})
