import type * as Testcontainers from 'testcontainers'

/**
 * testcontainers, loaded only in container mode (it is heavy, and the loopback path never needs it), once a container
 * runtime has answered; otherwise an error that says what to start or unset.
 */
export async function loadTestcontainers(): Promise<typeof Testcontainers> {
  const testcontainers = await import('testcontainers')
  try {
    await testcontainers.getContainerRuntimeClient()
  } catch (error) {
    throw new Error(
      `STRATA_SERVERS=containers, but no container runtime answers (${(error as Error).message}). ` +
        'Start Docker (`docker info` must work), or unset STRATA_SERVERS to use `pnpm infra:up`.',
      { cause: error },
    )
  }
  return testcontainers
}
