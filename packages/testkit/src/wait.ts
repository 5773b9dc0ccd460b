import { setTimeout as sleep } from 'node:timers/promises'

const POLL_MS = 25

/** Polls `condition` until it is true; throws once `timeoutMs` has passed. Background work finishes in its own time. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(POLL_MS)
  }
}

/** Retries `check` (assertions) until it passes; after `timeoutMs` its last failure is thrown as it is. */
export async function eventually(check: () => void | Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(POLL_MS)
    }
  }
}
