import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/** utime + stime of one process (all its threads) and its parent, from /proc/<pid>/stat; undefined once it is gone. */
function stat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) }
  } catch {
    return undefined
  }
}

/**
 * CPU time (user + system, ms) used so far by these processes and their children (nginx's worker under its master),
 * read from /proc: what a benchmark divides by the requests served to get CPU per request.
 */
export function cpuMs(roots: readonly number[]): number {
  const wanted = new Set(roots)
  const all = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number)
  let ticks = 0
  for (const pid of all) {
    const info = stat(pid)
    if (info !== undefined && (wanted.has(pid) || wanted.has(info.ppid))) ticks += info.ticks
  }
  return (ticks * 1000) / TICKS_PER_SECOND
}
