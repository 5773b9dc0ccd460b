import type { InvalidationBus, InvalidationMessage } from './ports.js'

/**
 * The in-process invalidation bus: several caches in one process (the embedded default, tests) follow each other's
 * invalidations. Delivery is asynchronous (a microtask later), like a real bus, so callers cannot come to rely on a
 * synchronous side effect that Kafka would not give them.
 */
export class LocalInvalidationBus implements InvalidationBus {
  private readonly handlers = new Set<(message: InvalidationMessage) => void>()

  publish(message: InvalidationMessage): Promise<void> {
    const copy = structuredClone(message)
    queueMicrotask(() => {
      for (const handler of this.handlers) handler(copy)
    })
    return Promise.resolve()
  }

  subscribe(handler: (message: InvalidationMessage) => void): Promise<() => Promise<void>> {
    this.handlers.add(handler)
    return Promise.resolve(() => {
      this.handlers.delete(handler)
      return Promise.resolve()
    })
  }
}
