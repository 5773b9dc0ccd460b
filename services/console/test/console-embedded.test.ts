import { startPlatformProcess } from '@strata/testkit'
import { consoleJourney } from './support/console-journey.js'

// The platform as `pnpm start` runs it (services/platform, as a process) (gateway, in-process alerting, demo origin), on ephemeral ports.
// This run also writes the user guide's screenshots (docs/console/*.png).
consoleJourney('console against the embedded platform (pnpm start)', async () => {
  const platform = await startPlatformProcess()
  return { gatewayUrl: platform.urls.gateway, adminKey: platform.adminKey, alertingUrl: platform.urls.alerting, analytics: true, screenshots: true, close: () => platform.stop() }
})
