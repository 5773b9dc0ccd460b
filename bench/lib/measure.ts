import { perSecond, progress } from './progress.js'
import { median } from './report.js'

/** One way of doing the operation under test; `sync` contenders run without await (lru-cache's get is sync). */
export type Contender = { sync: true; run: (i: number) => unknown } | { sync: false; run: (i: number) => Promise<unknown> }

export interface CompareOptions {
  /** Operations per round for each contender. */
  ops: number
  rounds: number
  warmupOps: number
}

async function timeOps(contender: Contender, ops: number): Promise<number> {
  const start = process.hrtime.bigint()
  if (contender.sync) {
    const run = contender.run
    for (let i = 0; i < ops; i++) run(i)
  } else {
    const run = contender.run
    for (let i = 0; i < ops; i++) await run(i)
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return ops / seconds
}

/**
 * Runs every contender `rounds` times, alternating them inside each round so that a GC pause or a noisy neighbour
 * hits all of them alike, after a warm-up that lets the JIT settle. Returns the median ops/s of each.
 */
export async function compareThroughput(contenders: Record<string, Contender>, options: CompareOptions): Promise<Record<string, number>> {
  const names = Object.keys(contenders)
  progress(`${names.join(', ')}: ${options.rounds} rounds of ${options.ops.toLocaleString('en-US')} operations each after ${options.warmupOps.toLocaleString('en-US')} to warm up`)
  for (const name of names) await timeOps(contenders[name]!, options.warmupOps)
  const samples = new Map<string, number[]>(names.map((name) => [name, []]))
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse()
    const line: string[] = []
    for (const name of order) {
      const opsPerSecond = await timeOps(contenders[name]!, options.ops)
      samples.get(name)!.push(opsPerSecond)
      line.push(`${name} ${perSecond(opsPerSecond, 'ops/s')}`)
    }
    progress(`round ${round + 1}/${options.rounds}: ${line.join(', ')}`)
  }
  return Object.fromEntries(names.map((name) => [name, Math.round(median(samples.get(name)!))]))
}
