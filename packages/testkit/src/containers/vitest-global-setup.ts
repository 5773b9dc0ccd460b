import { randomBytes } from 'node:crypto'
import { containerRunId, removeRunContainers } from './container-run.js'
import { loadTestcontainers } from './container-runtime.js'

/**
 * vitest globalSetup for container mode (vitest.config.ts adds it when STRATA_SERVERS=containers): names the run
 * before any test process starts (they inherit the variable), fails at once when Docker does not answer, and at the
 * end removes every container of the run that a test process could not stop itself.
 */
export async function setup(): Promise<() => Promise<void>> {
  process.env.STRATA_CONTAINERS_RUN ??= `vitest-${process.pid}-${randomBytes(4).toString('hex')}`
  await loadTestcontainers()
  return async () => {
    const removed = await removeRunContainers(containerRunId())
    if (removed.length > 0) console.info(`[testkit] removed ${removed.length} container(s) left by run ${containerRunId()}`)
  }
}
