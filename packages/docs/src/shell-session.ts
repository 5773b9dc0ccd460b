import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface BlockRun {
  ok: boolean
  /** stdout and stderr of the block, interleaved as they arrived. */
  output: string
  /** Why it failed: the exit status, a timeout... */
  reason?: string
}

export interface ShellBlock {
  line: number
  code: string
  /** Start it in its own process group, wait until a line of its output matches this POSIX extended regex. */
  background?: { ready: string; timeoutSeconds: number }
  /** Variables exported just before the block (they stay exported for the rest of the session, like any export). */
  exports?: Record<string, string>
}

/**
 * One bash process for all the sh blocks of a .md file (`set -euo pipefail`, cwd = repo root), so an `export` in one
 * block holds in the next, as it would in the reader's terminal. Each block is written to a file and `source`d with
 * stdin from /dev/null (a `cat` or `psql` in a sample must not eat the session's own input); a marker printed after it
 * on both streams says it finished. Under `set -e` a failing command ends bash, so no marker means the block failed.
 */
export class ShellSession {
  private readonly bash: ChildProcessWithoutNullStreams
  private readonly nonce = randomBytes(6).toString('hex')
  private transcript = ''
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined
  private waiters: Array<() => void> = []
  private readonly pidFile: string
  private readonly envFile: string

  constructor(
    private readonly root: string,
    private readonly workDir: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.pidFile = join(workDir, 'background.pids')
    this.envFile = join(workDir, 'session.env')
    writeFileSync(this.pidFile, '')
    // detached: bash leads its own process group, so a timeout can stop it and whatever it started in the foreground.
    // TMPDIR is the run's own folder: what a doc keeps in a temporary file (`tee "${TMPDIR:-/tmp}/strata.log"`) is
    // neither the reader's file of that name nor another run's.
    this.bash = spawn('bash', ['--noprofile', '--norc'], { cwd: root, env: { ...env, TMPDIR: workDir }, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
    const append = (chunk: Buffer) => {
      this.transcript += chunk.toString('utf8')
      this.wake()
    }
    this.bash.stdout.on('data', append)
    this.bash.stderr.on('data', append)
    this.bash.on('exit', (code, signal) => {
      this.exited = { code, signal }
      this.wake()
    })
    this.bash.stdin.on('error', () => undefined)
    this.bash.stdin.write(`set -euo pipefail
cd ${quote(root)}
__doc_wait_ready() { # log regex pid seconds
  local deadline=$((SECONDS + $4))
  until grep -Eq -- "$2" "$1"; do
    if ! kill -0 "$3" 2>/dev/null; then echo "the background command exited before printing a line matching /$2/; its output:" >&2; cat "$1" >&2; return 1; fi
    if (( SECONDS >= deadline )); then echo "no line matching /$2/ within $4 s; its output so far:" >&2; cat "$1" >&2; return 1; fi
    sleep 0.2
  done
}
`)
  }

  /** Runs one block; resolves when its marker is seen or bash is gone. */
  async run(block: ShellBlock, timeoutMs: number): Promise<BlockRun> {
    if (this.exited !== undefined) return { ok: false, output: '', reason: 'the session ended in an earlier block' }
    const start = this.transcript.length
    const file = join(this.workDir, `block-${block.line}.sh`)
    writeFileSync(file, `${block.code}\n`)
    const exports = Object.entries(block.exports ?? {})
      .map(([name, value]) => `export ${name}=${quote(value)}\n`)
      .join('')
    const marker = `<<doc-sample ${this.nonce} done ${block.line}>>`
    let command: string
    if (block.background === undefined) command = `source ${quote(file)} < /dev/null\n`
    else {
      const log = join(this.workDir, `block-${block.line}.log`)
      // setsid: the command and its children (pnpm → tsx → node) form one group that is stopped as a whole.
      command =
        `setsid bash -c 'set -euo pipefail; source "$0"' ${quote(file)} > ${quote(log)} 2>&1 < /dev/null &\n` +
        `echo $! >> ${quote(this.pidFile)}\n` +
        `__doc_wait_ready ${quote(log)} ${quote(block.background.ready)} $! ${block.background.timeoutSeconds}\n` +
        `echo "[started in the background; ready: $(grep -Em1 -- ${quote(block.background.ready)} ${quote(log)})]"\n`
    }
    this.bash.stdin.write(`${exports}${command}env -0 > ${quote(this.envFile)}\nprintf '\\n%s\\n' ${quote(marker)}; printf '\\n%s\\n' ${quote(marker)} >&2\n`)

    const done = () => occurrences(this.transcript.slice(start), marker) >= 2
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      this.kill()
    }, timeoutMs)
    try {
      while (!done() && this.exited === undefined) await new Promise<void>((resolve) => this.waiters.push(resolve))
    } finally {
      clearTimeout(timer)
    }
    const output = this.transcript.slice(start).split(`\n${marker}\n`).join('').split(marker).join('')
    if (done()) return { ok: true, output }
    // Read through a fresh variable: TypeScript narrowed `this.exited` to undefined at the loop above.
    const exited = this.exited as { code: number | null; signal: NodeJS.Signals | null } | undefined
    const reason = timedOut ? `timed out after ${timeoutMs / 1000} s` : `exited with status ${exited?.code ?? exited?.signal}`
    return { ok: false, output, reason }
  }

  /** What the background command started by the block at `line` has printed so far. */
  backgroundOutput(line: number): string {
    const log = join(this.workDir, `block-${line}.log`)
    return existsSync(log) ? readFileSync(log, 'utf8') : ''
  }

  /** The session's environment after the last block that finished (what a ts block run next should see). */
  environment(): Record<string, string> {
    if (!existsSync(this.envFile)) return {}
    const entries = readFileSync(this.envFile, 'utf8').split('\0').filter((entry) => entry.includes('='))
    return Object.fromEntries(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]))
  }

  /** Ends bash and every background command the session started (each its own process group). */
  async close(): Promise<void> {
    const pids = readFileSync(this.pidFile, 'utf8').split('\n').map(Number).filter((pid) => pid > 0)
    for (const pid of pids) killGroup(pid)
    // A graceful stop gets a few seconds; whatever still runs then is killed.
    for (let waited = 0; waited < 5_000 && pids.some(groupAlive); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100))
    for (const pid of pids.filter(groupAlive)) killGroup(pid, 'SIGKILL')
    if (this.exited === undefined) {
      this.bash.stdin.end()
      const timer = setTimeout(() => this.kill(), 5_000)
      while (this.exited === undefined) await new Promise<void>((resolve) => this.waiters.push(resolve))
      clearTimeout(timer)
    }
  }

  private kill(): void {
    if (this.bash.pid !== undefined) killGroup(this.bash.pid, 'SIGKILL')
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const resolve of waiters) resolve()
  }
}

function killGroup(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone.
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1
}

/** A bash single-quoted word. */
export function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}
