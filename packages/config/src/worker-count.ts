import { availableParallelism } from 'node:os'
import { Type } from '@sinclair/typebox'

const WORKERS_HINT = "an integer ≥ 1, or 'auto' (one per core)"

/**
 * How many processes serve one port: a positive integer, or `auto` for one per core the process may use
 * (os.availableParallelism()). Digits from the environment are read as the integer. Decoded to the count.
 */
export function WorkerCount(options: { default: number; description: string }) {
  return Type.Transform(Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^(auto|[1-9][0-9]*)$' })], { ...options, 'x-expected': WORKERS_HINT }))
    .Decode((value) => workerCountOf(value)!)
    .Encode((value) => value)
}

/** The count a WorkerCount value stands for on this machine; undefined when it is none (left to the schema to name). */
export function workerCountOf(value: unknown): number | undefined {
  if (value === 'auto') return availableParallelism()
  const count = typeof value === 'string' && /^[1-9][0-9]*$/.test(value) ? Number(value) : value
  return typeof count === 'number' && Number.isInteger(count) && count >= 1 ? count : undefined
}
