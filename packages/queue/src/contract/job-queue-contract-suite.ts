import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import type { DeadLetter, Job, JobQueue, JobQueueOptions } from '../job-queue.js'

export interface ContractQueue {
  queue: JobQueue<unknown>
  /** Closes the queue and deletes whatever it left on a server. */
  cleanup(): Promise<void>
}

/** Builds a fresh, uniquely named queue for one test. */
export type QueueFactory = (options: JobQueueOptions) => Promise<ContractQueue>

/**
 * The behaviour every job-queue adapter must have, run unchanged against each (the in-process adapter and BullMQ
 * on the real queue Redis). Published so a third-party adapter can prove itself the same way.
 */
export function jobQueueContractSuite(adapter: string, factory: QueueFactory): void {
  describe(`job queue contract: ${adapter}`, () => {
    const opened: ContractQueue[] = []
    async function open(options: JobQueueOptions = {}): Promise<JobQueue<unknown>> {
      const made = await factory(options)
      opened.push(made)
      return made.queue
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((made) => made.cleanup()))
    })

    it('delivers the data and the trace context of a job, on its first attempt', async () => {
      const queue = await open()
      const seen: Array<Job<unknown>> = []
      queue.process((jobs) => settled(seen.push(...jobs)))
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
      const id = await queue.add({ hello: 'world' }, { traceparent })
      await waitFor(() => seen.length === 1)
      expect(seen[0]).toMatchObject({ id, data: { hello: 'world' }, traceparent, attempt: 1 })
      expect(seen[0]!.addedAt).toBeGreaterThan(Date.now() - 60_000)
    })

    it('processes every job of a bulk add exactly once', async () => {
      const queue = await open()
      const ids = await queue.addBulk(Array.from({ length: 60 }, (_, i) => ({ data: i })))
      expect(new Set(ids).size).toBe(60)
      const seen: number[] = []
      queue.process((jobs) => settled(seen.push(...jobs.map((job) => job.data as number))), { concurrency: 4 })
      await waitFor(() => seen.length >= 60)
      await sleep(100)
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i))
      expect(await queue.counts()).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0, dead: 0 })
    })

    it('does not add a job whose id the queue already holds', async () => {
      const queue = await open()
      const first = await queue.add('a', { jobId: 'flush-k1' })
      const second = await queue.add('b', { jobId: 'flush-k1' })
      expect(second).toBe(first)
      const seen: unknown[] = []
      queue.process((jobs) => settled(seen.push(...jobs.map((job) => job.data))))
      await waitFor(() => seen.length === 1)
      await sleep(100)
      expect(seen).toEqual(['a'])
    })

    it('retries a failing job with backoff until it succeeds', async () => {
      const queue = await open({ retry: { attempts: 4, baseMs: 60, maxMs: 60, jitter: 0 } })
      const runs: Array<{ attempt: number; at: number }> = []
      queue.process(([job]) => {
        runs.push({ attempt: job!.attempt, at: Date.now() })
        return job!.attempt < 3 ? Promise.reject(new Error(`transient ${job!.attempt}`)) : Promise.resolve()
      })
      await queue.add('retry-me')
      await waitFor(() => runs.length === 3)
      await sleep(150)
      expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3])
      expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(50)
      expect(runs[2]!.at - runs[1]!.at).toBeGreaterThanOrEqual(50)
      expect((await queue.counts()).dead).toBe(0)
    })

    it('moves a job to the dead-letter queue after its last attempt and reports it', async () => {
      const reported: Array<DeadLetter<unknown>> = []
      const queue = await open({ retry: { attempts: 2, baseMs: 10, maxMs: 10 }, onDeadLetter: (letter) => reported.push(letter) })
      let runs = 0
      queue.process(() => {
        runs++
        return Promise.reject(new Error('origin rejected the row'))
      })
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
      const id = await queue.add({ key: 'poison' }, { traceparent })
      await waitFor(() => reported.length === 1)
      expect(runs).toBe(2)
      expect(reported[0]).toMatchObject({ id, data: { key: 'poison' }, error: 'origin rejected the row', attempts: 2, traceparent })
      await waitFor(async () => (await queue.counts()).dead === 1)
      const letters = await queue.deadLetters()
      expect(letters).toHaveLength(1)
      expect(letters[0]).toMatchObject({ id, data: { key: 'poison' }, error: 'origin rejected the row', attempts: 2 })
    })

    it('hands the handler batches of at most batchSize jobs', async () => {
      const queue = await open()
      await queue.addBulk(Array.from({ length: 25 }, (_, i) => ({ data: i })))
      const sizes: number[] = []
      queue.process((jobs) => settled(sizes.push(jobs.length)), { batchSize: 10, lingerMs: 50 })
      await waitFor(() => sizes.reduce((a, b) => a + b, 0) >= 25)
      expect(Math.max(...sizes)).toBe(10)
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(25)
    })

    it('runs at most `concurrency` handler calls at once', async () => {
      const queue = await open()
      let running = 0
      let peak = 0
      let done = 0
      queue.process(
        async () => {
          peak = Math.max(peak, ++running)
          await sleep(40)
          running--
          done++
        },
        { concurrency: 3 },
      )
      await queue.addBulk(Array.from({ length: 12 }, (_, i) => ({ data: i })))
      await waitFor(() => done === 12)
      expect(peak).toBe(3)
    })

    it('holds a delayed job until its delay has passed', async () => {
      const queue = await open()
      const seen: number[] = []
      queue.process(() => settled(seen.push(Date.now())))
      const added = Date.now()
      await queue.add('later', { delayMs: 300 })
      await sleep(150)
      expect(seen).toHaveLength(0)
      await waitFor(() => seen.length === 1)
      expect(seen[0]! - added).toBeGreaterThanOrEqual(250)
    })

    it('lets a running handler finish when the worker closes', async () => {
      const queue = await open()
      let finished = false
      let started = false
      const worker = queue.process(async () => {
        started = true
        await sleep(200)
        finished = true
      })
      await queue.add('slow')
      await waitFor(() => started)
      await worker.close()
      expect(finished).toBe(true)
    })
  })
}

function settled(_effect: unknown): Promise<void> {
  return Promise.resolve()
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}
