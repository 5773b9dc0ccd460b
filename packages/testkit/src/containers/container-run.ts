import { loadTestcontainers } from './container-runtime.js'

/**
 * One run's containers carry one label value: the run's global setup sets STRATA_CONTAINERS_RUN before the test
 * processes start, so they inherit it; a process outside such a run labels its containers with its own pid.
 */
export const RUN_LABEL = 'strata.testkit.run'

export function containerRunId(): string {
  return process.env.STRATA_CONTAINERS_RUN?.trim() || `pid-${process.pid}`
}

export function containerRunLabel(): Record<string, string> {
  return { [RUN_LABEL]: containerRunId() }
}

/**
 * Removes every container of this run, running or not, and returns their ids: what a test process killed before it
 * stopped its own containers left behind (testcontainers' Ryuk reaper is off where its image cannot be pulled).
 */
export async function removeRunContainers(run = containerRunId()): Promise<string[]> {
  const { getContainerRuntimeClient } = await loadTestcontainers()
  const client = await getContainerRuntimeClient()
  const left = await client.container.dockerode.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${run}`] } })
  await Promise.all(left.map((info) => client.container.getById(info.Id).remove({ force: true, v: true })))
  return left.map((info) => info.Id)
}
