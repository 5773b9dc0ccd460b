import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'

/** An access trace with its keys interned to dense ids 0…distinct−1 (what simulators and OPT index by). */
export interface Trace {
  name: string
  keys: Int32Array
  distinct: number
}

export type TraceFormat = 'lines' | 'lis'

/**
 * The public traces of ../shared/traces/README.md with the cache sizes its reference table lists and their exact LRU
 * and OPT hit ratios (%), which a correct simulator reproduces to the second decimal.
 */
export const PUBLIC_TRACES: readonly {
  file: string
  name: string
  cases: readonly { size: number; lru: number; opt: number }[]
}[] = [
  {
    file: 'gli.trace.gz',
    name: 'gli',
    cases: [
      { size: 250, lru: 0.91, opt: 17.71 },
      { size: 1000, lru: 11.21, opt: 53.15 },
      { size: 2000, lru: 57.41, opt: 57.96 },
    ],
  },
  { file: 'loop.trace.gz', name: 'loop', cases: [{ size: 512, lru: 0.0, opt: 50.54 }] },
  {
    file: 'multi2.trace.gz',
    name: 'multi2',
    cases: [
      { size: 256, lru: 24.54, opt: 47.02 },
      { size: 1024, lru: 47.87, opt: 62.53 },
    ],
  },
  {
    file: 'sprite.trace.gz',
    name: 'sprite',
    cases: [
      { size: 256, lru: 49.9, opt: 75.07 },
      { size: 1024, lru: 90.73, opt: 93.31 },
    ],
  },
  { file: '2_pools.trace.gz', name: '2_pools', cases: [{ size: 256, lru: 42.18, opt: 58.09 }] },
  { file: 'cs.trace.gz', name: 'cs', cases: [{ size: 500, lru: 1.83, opt: 31.32 }] },
  { file: 'ps.trace.gz', name: 'ps', cases: [{ size: 300, lru: 16.33, opt: 54.29 }] },
  { file: 'OLTP.lis.gz', name: 'OLTP', cases: [{ size: 1000, lru: 32.83, opt: 53.62 }] },
  { file: 'P3.lis.gz', name: 'P3', cases: [{ size: 80000, lru: 18.95, opt: 56.55 }] },
]

/**
 * Finds the shared traces folder: $STRATA_TRACES_DIR, else the first `shared/traces` beside this file's ancestors
 * (in a checkout and in CI the shared folder sits beside the clone). Undefined when there is none.
 */
export function locateTracesDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  const fromEnv = process.env.STRATA_TRACES_DIR
  if (fromEnv !== undefined && fromEnv !== '') return existsSync(fromEnv) ? resolve(fromEnv) : undefined
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'traces')
    if (existsSync(join(candidate, 'README.md'))) return candidate
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * The LIRS traces of PUBLIC_TRACES as shipped in the repository (see the README there): a clone without the shared
 * folder still replays them. OLTP and P3 are not shipped.
 */
export const SHIPPED_TRACES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/core/test/fixtures/traces')

/**
 * Where a public trace file is: the shared traces folder (`dir`, see locateTracesDir) when it has the file, else the
 * repository's shipped copy, else undefined.
 */
export function locateTrace(file: string, dir: string | undefined): string | undefined {
  for (const folder of dir === undefined ? [SHIPPED_TRACES_DIR] : [dir, SHIPPED_TRACES_DIR]) {
    const path = join(folder, file)
    if (existsSync(path)) return path
  }
  return undefined
}

/** The format from the file name: `.lis` (ARC) or one key per line, gzipped or not. */
export function formatOf(path: string): TraceFormat {
  return /\.lis(\.gz)?$/i.test(path) ? 'lis' : 'lines'
}

/**
 * Reads a trace file, gunzipping it when it starts with the gzip magic bytes.
 * - `lines`: one key per line (any text); blank lines and lines starting with `*` are skipped.
 * - `lis` (ARC, Megiddo & Modha): `start count ignore reqno` per line, standing for keys start … start+count−1.
 */
export function readTrace(path: string, format: TraceFormat = formatOf(path)): Trace {
  let bytes: Buffer = readFileSync(path)
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes)
  const text = bytes.toString('utf8')
  const name = basename(path).replace(/\.gz$/i, '').replace(/\.(trace|lis|txt)$/i, '')
  return format === 'lis' ? parseLis(name, text) : parseLines(name, text)
}

function parseLines(name: string, text: string): Trace {
  const ids = new Map<string, number>()
  let keys = new Int32Array(1 << 16)
  let length = 0
  let start = 0
  while (start < text.length) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    const line = text.slice(start, end).trim()
    start = end + 1
    if (line === '' || line.startsWith('*')) continue
    let id = ids.get(line)
    if (id === undefined) {
      id = ids.size
      ids.set(line, id)
    }
    if (length === keys.length) keys = grow(keys)
    keys[length++] = id
  }
  return { name, keys: keys.slice(0, length), distinct: ids.size }
}

function parseLis(name: string, text: string): Trace {
  const ids = new Map<number, number>()
  let keys = new Int32Array(1 << 16)
  let length = 0
  let lineNumber = 0
  for (const raw of text.split('\n')) {
    lineNumber++
    const line = raw.trim()
    if (line === '') continue
    const fields = line.split(/\s+/)
    const first = Number(fields[0])
    const count = Number(fields[1])
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || count < 0) {
      throw new Error(`${name}:${lineNumber}: expected "start count ignore reqno", got ${JSON.stringify(line)}`)
    }
    for (let key = first; key < first + count; key++) {
      let id = ids.get(key)
      if (id === undefined) {
        id = ids.size
        ids.set(key, id)
      }
      if (length === keys.length) keys = grow(keys)
      keys[length++] = id
    }
  }
  return { name, keys: keys.slice(0, length), distinct: ids.size }
}

function grow(keys: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(keys.length * 2)
  bigger.set(keys)
  return bigger
}
