import { startEmbedded } from '../../gateway/src/embedded.js'
import { consoleJourney } from './support/console-journey.js'

// The embedded platform as `pnpm start` runs it (gateway, in-process alerting, demo origin), on ephemeral ports.
// This run also takes the user guide's screenshots: into a temporary folder, or docs/console/ with `pnpm docs:screenshots`.
consoleJourney('console against the embedded platform (pnpm start)', async () => {
  const embedded = await startEmbedded({ port: 0, originPort: 0, alertingPort: 0, analyticsPort: 0 })
  return { gatewayUrl: embedded.urls.gateway, adminKey: embedded.adminKey, alertingUrl: embedded.urls.alerting, analytics: true, screenshots: true, close: () => embedded.close() }
})
