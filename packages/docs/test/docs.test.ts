import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { PENDING_FILES, docFiles, formatFailure, runDoc } from '../src/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** At most this many docs at once: each has its own embedded platform and session, and most time is spent waiting. */
const PARALLEL_DOCS = 3
let running = 0
const queue: Array<() => void> = []
async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL_DOCS) await new Promise<void>((resolve) => queue.push(resolve))
  running++
  try {
    return await work()
  } finally {
    running--
    queue.shift()?.()
  }
}

// Issue #14, acceptance 1: every command and code sample in README.md and docs/ runs (doc-samples-convention.md).
// One test per file, so a failure names the doc; the message gives the line, the fence, the reason and the output.
describe.concurrent('doc samples', () => {
  for (const file of docFiles(root)) {
    const test = PENDING_FILES.includes(file) ? it.skip : it
    test(file, async () => {
      const run = await slot(() => runDoc(join(root, file), { root }))
      const { shell, program, config, destructive, output, docker, checked } = run.counts
      console.info(`${file}: ${shell} sh, ${program} ts/js, ${config} config validated, ${destructive} destructive checked, ${output} output, ${checked} printed output checked${docker === 0 ? '' : `, ${docker} stack=docker (run by the compose test)`}`)
      expect(run.failures.map(formatFailure).join('\n\n')).toBe('')
    }, 240_000)
  }

  it('PENDING_FILES names only docs that exist', () => {
    expect(PENDING_FILES.filter((file) => !existsSync(join(root, file)) || !docFiles(root).includes(file))).toEqual([])
  })
})
