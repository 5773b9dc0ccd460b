import { spawn } from 'node:child_process'
import type { CliIo } from './cli-io.js'

/** Runs a child process with its output relayed to the CLI's io; resolves with its exit code. */
export function runChild(command: string, args: readonly string[], io: CliIo, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: io.env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.setEncoding('utf8').on('data', (text: string) => io.out(text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => io.err(text))
    child.once('error', reject)
    child.once('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)))
  })
}
