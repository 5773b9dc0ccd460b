export const TIMED_OUT: unique symbol = Symbol('timed out')

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}

/** Races `promise` against a timer that never keeps the process alive and is cleared as soon as either settles. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms)
    timer.unref()
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Read once: `performance.timeOrigin` is a getter into the runtime, and every write reads the clock up to three times. */
const TIME_ORIGIN = performance.timeOrigin

/** Wall-clock milliseconds with sub-millisecond resolution, so two events in one millisecond still order. */
export function highResolutionNow(): number {
  return TIME_ORIGIN + performance.now()
}
