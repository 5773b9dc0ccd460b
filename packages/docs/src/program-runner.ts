import { spawn } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BlockRun } from './shell-session.js'

/**
 * Runs a ts/js block as a program of its own with tsx. The file is written inside this package (`.samples/`), so
 * `@strata/*` and the libraries the docs show (pg, ioredis, keyv...) resolve from its dependencies as they would in
 * the reader's project; cwd is the repo root.
 */
export async function runProgram(options: { root: string; directory: string; name: string; language: 'ts' | 'js'; code: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<BlockRun> {
  const file = join(options.directory, `${options.name}.${options.language === 'ts' ? 'ts' : 'mjs'}`)
  writeFileSync(file, options.code)
  try {
    return await new Promise<BlockRun>((resolve) => {
      const child = spawn(join(options.root, 'node_modules', '.bin', 'tsx'), [file], { cwd: options.root, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {
          // Gone already.
        }
      }, options.timeoutMs)
      child.on('error', (error) => {
        clearTimeout(timer)
        resolve({ ok: false, output, reason: error.message })
      })
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        if (code === 0) resolve({ ok: true, output })
        else resolve({ ok: false, output, reason: timedOut ? `did not exit within ${options.timeoutMs / 1000} s` : `exited with status ${code ?? signal}` })
      })
    })
  } finally {
    rmSync(file, { force: true })
  }
}
