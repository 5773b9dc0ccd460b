import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../../../bench/lib/zipf.js'
import { TimerWheel, type TimerNode } from './timer-wheel.js'

class Timer implements TimerNode {
  timerPrev: TimerNode | null = null
  timerNext: TimerNode | null = null
  constructor(
    readonly id: number,
    public expiresAt: number,
  ) {}
}

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** The finest bucket: an expired timer is reclaimed once the clock has passed the end of its bucket. */
const TICK = 1024

describe('TimerWheel', () => {
  it('expires a timer once the clock passes its bucket, never before its time', () => {
    const expired: number[] = []
    const wheel = new TimerWheel<Timer>((timer) => expired.push(timer.id), 0)
    wheel.schedule(new Timer(1, 1500))
    wheel.advance(1499)
    expect(expired).toEqual([])
    // Due at 1500, inside the bucket [1024, 2048): reclaimed when the clock leaves that bucket.
    wheel.advance(2047)
    expect(expired).toEqual([])
    wheel.advance(2048)
    expect(expired).toEqual([1])
    expect(wheel.size).toBe(0)
  })

  it('cascades timers from the day, hour and minute wheels down to seconds', () => {
    const expired: number[] = []
    const start = 1_700_000_000_000
    const wheel = new TimerWheel<Timer>((timer) => expired.push(timer.id), start)
    const delays = [5 * SECOND, 3 * MINUTE, 2 * HOUR, 30 * HOUR, 3 * DAY, 20 * DAY]
    delays.forEach((delay, id) => wheel.schedule(new Timer(id, start + delay)))
    const late: string[] = []
    for (let now = start; now <= start + 21 * DAY; now += 997) {
      wheel.advance(now)
      for (const id of expired) if (start + delays[id]! > now) late.push(`${id} expired early at ${now - start}`)
      delays.forEach((delay, id) => {
        if (start + delay < Math.floor(now / TICK) * TICK && !expired.includes(id)) late.push(`${id} late at ${now}`)
      })
    }
    expect(late).toEqual([])
    expect(expired).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('agrees with a brute-force model under random schedules, reschedules, deschedules and clock jumps', () => {
    const random = seededRandom(2024)
    let now = 1_000_000
    const live = new Map<number, Timer>()
    const expired: Timer[] = []
    const wheel = new TimerWheel<Timer>((timer) => expired.push(timer), now)
    const durations = [50, 900, 5 * SECOND, 70 * SECOND, 20 * MINUTE, 3 * HOUR, 2 * DAY, 9 * DAY]
    const randomDelay = (): number => 1 + Math.floor(random() * durations[Math.floor(random() * durations.length)]!)
    let nextId = 0
    for (let step = 0; step < 20_000; step++) {
      const dice = random()
      if (dice < 0.45 || live.size === 0) {
        const timer = new Timer(nextId++, now + randomDelay())
        live.set(timer.id, timer)
        wheel.schedule(timer)
      } else if (dice < 0.6) {
        const timer = [...live.values()][Math.floor(random() * live.size)]!
        timer.expiresAt = now + randomDelay()
        wheel.reschedule(timer)
      } else if (dice < 0.7) {
        const timer = [...live.values()][Math.floor(random() * live.size)]!
        wheel.deschedule(timer)
        live.delete(timer.id)
      } else {
        // Mostly small steps, now and then a jump of hours or days.
        now += random() < 0.97 ? Math.floor(random() * 3 * SECOND) : Math.floor(random() * 3 * DAY)
        wheel.advance(now)
        for (const timer of expired.splice(0)) {
          expect(timer.expiresAt).toBeLessThanOrEqual(now)
          expect(live.delete(timer.id)).toBe(true)
        }
        const reclaimBefore = Math.floor(now / TICK) * TICK
        for (const timer of live.values()) expect(timer.expiresAt).toBeGreaterThanOrEqual(reclaimBefore)
      }
      expect(wheel.size).toBe(live.size)
    }
    expect(nextId).toBeGreaterThan(5000)
  })

  it('ignores a clock that goes backwards and descheduling what is not scheduled', () => {
    const expired: number[] = []
    const wheel = new TimerWheel<Timer>((timer) => expired.push(timer.id), 10 * SECOND)
    const timer = new Timer(1, 12 * SECOND)
    wheel.deschedule(timer)
    wheel.schedule(timer)
    wheel.advance(5 * SECOND)
    expect(wheel.nextTickAt).toBe(10 * TICK)
    wheel.advance(20 * SECOND)
    expect(expired).toEqual([1])
    wheel.deschedule(timer)
    expect(wheel.size).toBe(0)
  })

  it('drops every timer on clear', () => {
    const expired: number[] = []
    const wheel = new TimerWheel<Timer>((timer) => expired.push(timer.id), 0)
    for (let i = 0; i < 100; i++) wheel.schedule(new Timer(i, 1 + i * 1000))
    wheel.clear()
    expect(wheel.size).toBe(0)
    wheel.advance(1_000_000)
    expect(expired).toEqual([])
  })
})
