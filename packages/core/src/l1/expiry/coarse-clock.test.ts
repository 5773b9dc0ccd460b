import { afterEach, describe, expect, it, vi } from 'vitest'
import { CoarseClock } from './coarse-clock.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('CoarseClock', () => {
  it('reads the source once per resolution, then again after the timer fires', () => {
    vi.useFakeTimers()
    let time = 100
    const source = vi.fn(() => time)
    const clock = new CoarseClock(source, 1, 1_000_000)
    expect(clock.now()).toBe(100)
    time = 105
    expect(clock.now()).toBe(100)
    expect(source).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1)
    expect(clock.now()).toBe(105)
    expect(source).toHaveBeenCalledTimes(2)
  })

  it('re-reads after a bounded number of reads, so a long synchronous stretch cannot freeze time', () => {
    vi.useFakeTimers()
    let time = 0
    const clock = new CoarseClock(() => time, 1, 10)
    clock.now()
    time = 50
    const seen = Array.from({ length: 11 }, () => clock.now())
    expect(seen.slice(0, 10)).toEqual(new Array(10).fill(0))
    expect(seen[10]).toBe(50)
  })
})
