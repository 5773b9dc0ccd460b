import { useEffect, useState } from 'react'

/** A number that goes up every `ms`: a dependency that makes useAsync reload at the refresh interval. */
export function useTicker(ms: number): number {
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick((value) => value + 1), ms)
    return () => clearInterval(timer)
  }, [ms])
  return tick
}
