/**
 * `node --import tsx --import @strata/telemetry/register src/main.ts`: registers the import-in-the-middle loader
 * hook, then starts the SDK, before the service's own modules load. In ESM the whole static import graph of main.ts
 * is loaded before any of it runs, so a hook registered from main.ts itself would come too late to patch ioredis, pg
 * or http; `--import` runs this first. Only the modules an instrumentation asked for are wrapped (the message
 * channel), not every module of the process.
 */
import { register } from 'node:module'
import { createAddHookMessageChannel } from 'import-in-the-middle'
import { startTelemetry } from './telemetry-sdk.js'

const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel()
register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions)

const telemetry = startTelemetry({ serviceName: process.env.OTEL_SERVICE_NAME?.trim() || 'strata' })
await waitForAllMessagesAcknowledged()

// Spans still buffered when the service exits are flushed; services call process.exit after their own shutdown.
let flushing = false
process.once('beforeExit', () => {
  if (!flushing) {
    flushing = true
    void telemetry.shutdown()
  }
})
