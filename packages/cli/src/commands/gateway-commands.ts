import type { Command } from 'commander'
import { StrataClient } from '@strata/client'
import { CliFailure, EXIT, type CliIo } from '../cli-io.js'
import { apiKeyOf } from '../credentials.js'
import { table } from './config-commands.js'

interface ConnectionOptions {
  url?: string
  apiKey?: string
  timeout?: string
}

/** `keys get|set|del|ls`, `invalidate` and `stats`: the gateway's API through @strata/client. */
export function gatewayCommands(program: Command, io: CliIo): void {
  const client = (): StrataClient => {
    const options = program.opts<ConnectionOptions>()
    const timeoutMs = options.timeout === undefined ? undefined : Number(options.timeout)
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new CliFailure(`--timeout must be a positive integer (ms)`, EXIT.usage)
    const apiKey = apiKeyOf(options, io.env)
    return new StrataClient({
      baseUrl: options.url ?? io.env.STRATA_URL ?? 'http://127.0.0.1:8080',
      ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    })
  }

  const keys = program.command('keys').description('read, write, delete and list cached keys')
  keys
    .command('get')
    .argument('<namespace>')
    .argument('<key>')
    .description('print the value as JSON (exit 1 when the key is not cached)')
    .action(async (namespace: string, key: string) => {
      const value = await client().get(namespace, key)
      if (value === undefined) throw new CliFailure(`${namespace}/${key}: not found`)
      io.out(`${JSON.stringify(value, null, 2)}\n`)
    })
  keys
    .command('set')
    .argument('<namespace>')
    .argument('<key>')
    .argument('<value>', 'JSON (a bare word is taken as a string; anything else that is not JSON is refused unless --raw)')
    .option('--ttl <ms>', 'time to live, milliseconds')
    .option('--tag <tag...>', 'tags to invalidate the entry by')
    .option('--raw', 'store the value as a string, as written')
    .description('write a key')
    .action(async (namespace: string, key: string, raw: string, options: { ttl?: string; tag?: string[]; raw?: boolean }) => {
      const ttl = options.ttl === undefined ? undefined : Number(options.ttl)
      if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) throw new CliFailure(`--ttl must be a positive integer (ms), got '${options.ttl}'`, EXIT.usage)
      const written = await client().set(namespace, key, options.raw === true ? raw : parseValue(raw), { ...(ttl === undefined ? {} : { ttl }), ...(options.tag === undefined ? {} : { tags: options.tag }) })
      io.out(`${namespace}/${key} written (etag ${written.etag}, expires ${new Date(written.expiresAt).toISOString()})\n`)
    })
  keys
    .command('del')
    .argument('<namespace>')
    .argument('<key...>')
    .description('delete keys (and at the origin, for a write-through namespace)')
    .action(async (namespace: string, list: string[]) => {
      const strata = client()
      for (const key of list) await strata.delete(namespace, key)
      io.out(`${list.length} key${list.length === 1 ? '' : 's'} deleted from ${namespace}\n`)
    })
  keys
    .command('ls')
    .argument('[namespace]')
    .argument('[keys...]', 'keys to look up in one round trip')
    .option('--prefix <prefix>', 'only keys that start with this')
    .option('--tag <tag>', 'only entries carrying this tag')
    .option('--limit <n>', 'at most this many entries (default 100)')
    .description('without a namespace: the namespaces; with one: its entries (metadata, by prefix or tag); with keys: which of them are cached')
    .action(async (namespace: string | undefined, list: string[], options: { prefix?: string; tag?: string; limit?: string }) => {
      const strata = client()
      if (namespace === undefined) {
        const namespaces = await strata.listNamespaces()
        io.out(table(['namespace', 'ttl ms', 'write mode', 'origin'], namespaces.map((ns) => [ns.name, String(ns.policy.ttl ?? '-'), ns.policy.writeMode ?? 'cache-aside', ns.policy.origin?.url ?? '-'])))
        return
      }
      if (list.length > 0) {
        const values = await strata.getMany(namespace, list)
        io.out(table(['key', 'cached', 'value'], list.map((key, i) => [key, values[i] === undefined ? 'no' : 'yes', values[i] === undefined ? '' : truncate(JSON.stringify(values[i]))])))
        return
      }
      const limit = options.limit === undefined ? 100 : Number(options.limit)
      if (!(Number.isInteger(limit) && limit > 0)) throw new CliFailure('--limit must be a positive integer', EXIT.usage)
      // The gateway scans L2 page by page (Memcached cannot: E_UNSUPPORTED_BY_STORE); stop at the limit.
      const entries = []
      let cursor: string | undefined
      do {
        const page = await strata.listEntries(namespace, {
          ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
          ...(options.tag === undefined ? {} : { tag: options.tag }),
          limit: Math.min(500, limit - entries.length),
          ...(cursor === undefined ? {} : { cursor }),
        })
        entries.push(...page.entries)
        cursor = page.cursor ?? undefined
      } while (cursor !== undefined && entries.length < limit)
      io.out(
        table(
          ['key', 'tier', 'ttl left ms', 'stale', 'bytes', 'version', 'tags'],
          entries.map((entry) => [entry.key, entry.tier, String(entry.ttlLeftMs), entry.stale ? 'yes' : 'no', String(entry.size), String(entry.version), entry.tags.join(',')]),
        ),
      )
      if (cursor !== undefined) io.out(`(first ${entries.length}; more with --limit)\n`)
    })

  program
    .command('invalidate')
    .argument('<namespace>')
    .option('--key <key...>', 'keys to delete')
    .option('--tag <tag...>', 'tags whose entries are deleted')
    .option('--expire-tag <tag...>', 'tags whose entries turn stale (served within grace while refreshed)')
    .option('--prefix <prefix...>', 'key prefixes whose entries are deleted (the gateway scans L2)')
    .option('--all', 'empty the namespace')
    .option('--dry-run', 'count what would be invalidated (as the invalidator counts it) and change nothing')
    .description('invalidate keys, tags, prefixes or a whole namespace in every tier and every gateway instance')
    .action(async (namespace: string, options: { key?: string[]; tag?: string[]; expireTag?: string[]; prefix?: string[]; all?: boolean; dryRun?: boolean }) => {
      if (options.key === undefined && options.tag === undefined && options.expireTag === undefined && options.prefix === undefined && options.all !== true) {
        throw new CliFailure('say what to invalidate: --key, --tag, --expire-tag, --prefix or --all', EXIT.usage)
      }
      const request = {
        ...(options.key === undefined ? {} : { keys: options.key }),
        ...(options.prefix === undefined ? {} : { prefixes: options.prefix }),
        ...(options.tag === undefined ? {} : { tags: options.tag }),
        ...(options.expireTag === undefined ? {} : { expireTags: options.expireTag }),
        ...(options.all === true ? { all: true } : {}),
      }
      if (options.dryRun === true) {
        const { counts } = await client().dryRunInvalidation(namespace, request)
        const asked = (['keys', 'prefixes', 'tags', 'expireTags', 'all'] as const).filter((target) => target === 'all' ? request.all === true : request[target] !== undefined)
        const count = (value: number | null) => (value === null ? 'not countable on this store' : String(value))
        io.out(table(['target', 'would invalidate'], asked.map((target) => [DRY_RUN_LABELS[target], count(counts[target])])))
        io.out(`${namespace}: dry run, nothing was invalidated\n`)
        return
      }
      const result = await client().invalidate(namespace, request)
      const prefixes = result.prefixes > 0 ? `, ${result.prefixes} prefixes` : ''
      io.out(`${namespace}: ${result.keys} keys, ${result.tags} tags, ${result.expireTags} expired tags${prefixes}${result.all ? ', everything' : ''} invalidated\n`)
    })

  program
    .command('stats')
    .argument('[namespace]')
    .option('--json', 'print JSON')
    .description('hit ratio and counters per namespace')
    .action(async (namespace: string | undefined, options: { json?: boolean }) => {
      const strata = client()
      const views = namespace === undefined ? await strata.listNamespaces() : [await strata.getNamespace(namespace)]
      if (options.json === true) {
        io.out(`${JSON.stringify(Object.fromEntries(views.map((view) => [view.name, view.stats])), null, 2)}\n`)
        return
      }
      const rows = views.map(({ name, stats }) => [name, String(stats.hits), String(stats.misses), `${(stats.hitRatio * 100).toFixed(1)}%`, String(stats.staleHits), String(stats.sets), String(stats.loads), String(stats.loadErrors)])
      io.out(table(['namespace', 'hits', 'misses', 'hit ratio', 'stale', 'sets', 'loads', 'load errors'], rows))
    })
}

const DRY_RUN_LABELS = { keys: 'keys (present)', prefixes: 'keys under the prefixes', tags: 'entries with the tags', expireTags: 'entries with the expire-tags', all: 'the whole namespace' } as const

/** A bare word: what a shell user types for a string without quoting it twice (`ready`, `user-42`, `v1.2`). */
const BARE_WORD = /^[\p{L}\p{N}_.:@/+-]+$/u

/**
 * The value as JSON; a bare word is its string. Anything else that does not parse (`{"name": "Ada"` with its brace
 * missing) is refused, not stored as a string nobody meant: --raw stores text as it is.
 */
export function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown
  } catch (error) {
    if (BARE_WORD.test(raw)) return raw
    const reason = error instanceof Error ? error.message : String(error)
    throw new CliFailure(`the value is not valid JSON (${reason}); quote it as JSON, or pass --raw to store the text as a string`, EXIT.usage)
  }
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
