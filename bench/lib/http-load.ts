import { spawn, type ChildProcess } from 'node:child_process'
import autocannon from 'autocannon'
import { duration, perSecond, progress } from './progress.js'
import { median } from './report.js'

export interface LoadResult {
  rps: number
  p99Ms: number
  errors: number
  /** What the errors were, when there were any: socket errors, timeouts and each non-2xx status, e.g. `timeouts 1, 503 ×2`. */
  errorKinds?: string
  /** CPU time (user + system) of the serving process per request, µs: when compareLoad was told which process serves. */
  cpuUsPerRequest?: number
}

/** One autocannon run (programmatic API): requests per second, p99 latency, non-2xx/errors counted, requests made. */
export async function load(url: string, options: { connections: number; durationS: number; headers?: Record<string, string> }): Promise<LoadResult & { requests: number }> {
  const result = await autocannon({ url, connections: options.connections, duration: options.durationS, pipelining: 1, ...(options.headers === undefined ? {} : { headers: options.headers }) })
  const errors = result.errors + result.non2xx + result.timeouts
  return { rps: result.requests.average, p99Ms: result.latency.p99, errors, requests: result.requests.total, ...(errors === 0 ? {} : { errorKinds: errorKindsOf(result) }) }
}

function errorKindsOf(result: autocannon.Result): string {
  const kinds: string[] = []
  if (result.errors > result.timeouts) kinds.push(`socket errors ${result.errors - result.timeouts}`)
  if (result.timeouts > 0) kinds.push(`timeouts ${result.timeouts}`)
  for (const [status, { count }] of Object.entries(result.statusCodeStats ?? {})) if (!status.startsWith('2')) kinds.push(`${status} ×${count ?? 0}`)
  return kinds.join(', ')
}

/**
 * Runs every contender `rounds` times, alternating the order each round so a noisy neighbour hits all alike, after
 * one short warm-up each. Returns the median requests/s and p99 per contender. With `cpu` (a function reading the CPU
 * ms used so far by the process serving that contender), also the CPU it spent per request over all rounds: unlike
 * throughput, that cost does not move much when other work shares the cores.
 */
export async function compareLoad(
  urls: Record<string, string>,
  options: { connections: number; durationS: number; rounds: number; warmupS: number; headers?: Record<string, string>; cpu?: Record<string, () => number> },
): Promise<Record<string, LoadResult>> {
  const names = Object.keys(urls)
  const seconds = names.length * (options.warmupS + options.rounds * options.durationS)
  progress(`${names.join(', ')}: ${options.rounds} rounds of ${options.durationS} s each after a ${options.warmupS} s warm-up, ${options.connections} connections — about ${duration(seconds)}`)
  for (const name of names) await load(urls[name]!, { ...options, durationS: options.warmupS })
  const samples = new Map<string, LoadResult[]>(names.map((n) => [n, []]))
  const spent = new Map<string, { cpuMs: number; requests: number }>(names.map((n) => [n, { cpuMs: 0, requests: 0 }]))
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse()
    for (const name of order) {
      const cpu = options.cpu?.[name]
      const before = cpu?.()
      const result = await load(urls[name]!, options)
      if (cpu !== undefined) {
        const total = spent.get(name)!
        total.cpuMs += cpu() - before!
        total.requests += result.requests
      }
      samples.get(name)!.push(result)
      progress(`round ${round + 1}/${options.rounds} ${name}: ${perSecond(result.rps, 'req/s')}, p99 ${result.p99Ms} ms`)
    }
  }
  return Object.fromEntries(
    names.map((name) => {
      const runs = samples.get(name)!
      const { cpuMs, requests } = spent.get(name)!
      return [
        name,
        {
          rps: Math.round(median(runs.map((r) => r.rps))),
          p99Ms: median(runs.map((r) => r.p99Ms)),
          errors: runs.reduce((a, r) => a + r.errors, 0),
          ...(runs.some((r) => r.errorKinds !== undefined) ? { errorKinds: runs.flatMap((r) => (r.errorKinds === undefined ? [] : [r.errorKinds])).join('; ') } : {}),
          ...(options.cpu?.[name] === undefined || requests === 0 ? {} : { cpuUsPerRequest: Math.round((cpuMs * 10_000) / requests) / 10 }),
        },
      ]
    }),
  )
}

/** Starts a child process and resolves with the first stdout line matching `ready`; the caller stops it by PID. */
export function startChild(
  command: string,
  args: string[],
  ready: RegExp,
  timeoutMs = 30_000,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGTERM')
      reject(new Error(`${command} did not become ready in ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = output.match(ready)
      if (match !== null) {
        clearTimeout(timer)
        // From here on the output is drained and dropped: a chatty child (request logs) must cost the bench nothing.
        child.stdout.off('data', onData)
        child.stderr.off('data', onData)
        child.stdout.resume()
        child.stderr.resume()
        resolve({ child, match })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${command} exited with ${code}:\n${output}`))
    })
  })
}

/** Starts several children; if any fails to become ready, stops the ones that did and rethrows (nothing is left running). */
export async function startChildren(count: number, start: () => ReturnType<typeof startChild>): Promise<Array<{ child: ChildProcess; match: RegExpMatchArray }>> {
  const settled = await Promise.allSettled(Array.from({ length: count }, start))
  const failed = settled.find((result) => result.status === 'rejected')
  if (failed === undefined) return settled.map((result) => (result as PromiseFulfilledResult<{ child: ChildProcess; match: RegExpMatchArray }>).value)
  for (const result of settled) if (result.status === 'fulfilled') await stopChild(result.value.child)
  throw (failed).reason
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.removeAllListeners('exit')
  child.once('exit', () => undefined)
  process.kill(child.pid, 'SIGTERM')
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
  if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
}
