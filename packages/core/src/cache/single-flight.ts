/**
 * One load per key per process. A flight that an invalidation overtook is marked so its result is returned to the
 * callers already waiting but never written to the cache (it may predate the invalidation).
 */
export interface Flight<T> {
  readonly promise: Promise<T>
  invalidated: boolean
}

export class SingleFlight {
  private readonly flights = new Map<string, Flight<unknown>>()

  get size(): number {
    return this.flights.size
  }

  get<T>(key: string): Flight<T> | undefined {
    return this.flights.get(key) as Flight<T> | undefined
  }

  /** Starts `run` unless a flight for `key` is under way; the flight is forgotten when it settles. */
  join<T>(key: string, run: (flight: Flight<T>) => Promise<T>): Flight<T> {
    const existing = this.flights.get(key) as Flight<T> | undefined
    if (existing !== undefined) return existing
    const flight = { invalidated: false } as { promise: Promise<T>; invalidated: boolean }
    flight.promise = run(flight).finally(() => {
      if (this.flights.get(key) === flight) this.flights.delete(key)
    })
    this.flights.set(key, flight)
    return flight
  }

  invalidate(key: string): void {
    // Every write calls this; with no load under way (the usual case) there is nothing to look up.
    if (this.flights.size === 0) return
    const flight = this.flights.get(key)
    if (flight !== undefined) {
      flight.invalidated = true
      this.flights.delete(key)
    }
  }

  invalidateWhere(matches: (key: string) => boolean): void {
    for (const key of [...this.flights.keys()]) if (matches(key)) this.invalidate(key)
  }

  invalidateAll(): void {
    for (const key of [...this.flights.keys()]) this.invalidate(key)
  }
}
