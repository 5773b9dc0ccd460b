import { randomBytes, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { L2Store } from '../l2-store.js'

/**
 * What a backend honestly cannot do. Every built-in driver declares all of them true; a third-party driver that
 * cannot, says so, and the suite checks that it fails loudly rather than pretending.
 */
export interface L2ContractCapabilities {
  /**
   * `setWithLease` checks the token and writes in one atomic step, so a delete that lands between the check and the
   * write cannot be overwritten. When false, the race test is skipped (the sequential lease tests still run).
   */
  atomicLeaseSet: boolean
  /** `clear(prefix)` removes exactly the keys under the prefix. When false, `clear` must reject instead. */
  clear: boolean
  /** `scan(prefix)` lists the value keys under the prefix. When false, the store must leave `scan` out. */
  scan: boolean
}

export interface L2ContractOptions {
  capabilities?: Partial<L2ContractCapabilities>
  /** TTL the expiry tests write with. Raise it for a backend with coarse expiry. Default 300 ms. */
  shortTtlMs?: number
  /** How long past `shortTtlMs` an expired entry may still be readable. Default 1000 ms. */
  expiryGraceMs?: number
}

export interface L2ContractSubject {
  store: L2Store
  cleanup?: () => Promise<void>
}

const LONG_TTL = 60_000
const MIB = 1024 * 1024

/**
 * The one contract every L2 driver passes, against its real server: the in-process store, Redis standalone, Sentinel
 * and Cluster, and the Memcached pool all run it unchanged. Third-party drivers call it from their own vitest files:
 *
 * ```ts
 * runL2ContractSuite('my-store', async () => ({ store: myStore(), cleanup: () => ... }))
 * ```
 *
 * Every key lives under a prefix unique to this run, so parallel runs against one server do not collide.
 */
export function runL2ContractSuite(
  name: string,
  factory: () => Promise<L2ContractSubject>,
  options: L2ContractOptions = {},
): void {
  const capabilities: L2ContractCapabilities = { atomicLeaseSet: true, clear: true, scan: true, ...options.capabilities }
  const shortTtl = options.shortTtlMs ?? 300
  const expiryGrace = options.expiryGraceMs ?? 1000
  const runPrefix = `strata-contract:${name.replace(/[^\w-]/g, '_')}:${randomUUID().slice(0, 8)}:`
  let counter = 0
  let subject: L2ContractSubject | undefined

  const store = (): L2Store => {
    if (subject === undefined) throw new Error(`the ${name} store factory did not run`)
    return subject.store
  }
  /** A fresh prefix per test, under the run prefix. */
  const scope = (): ((key: string) => string) => {
    const testPrefix = `${runPrefix}t${++counter}:`
    return (key) => testPrefix + key
  }
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
  const text = (value: Uint8Array | undefined): string | undefined =>
    value === undefined ? undefined : new TextDecoder().decode(value)
  const token = (): string => randomUUID()

  /** Polls until `check` holds; fails with `what` after `timeoutMs`. */
  async function eventually(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (await check()) return
      if (Date.now() > deadline) throw new Error(`${name}: ${what} did not happen within ${timeoutMs} ms`)
      await sleep(25)
    }
  }

  describe(`L2 contract: ${name}`, () => {
    beforeAll(async () => {
      subject = await factory()
    })

    afterAll(async () => {
      if (subject === undefined) return
      try {
        if (capabilities.clear) await subject.store.clear(runPrefix)
      } finally {
        await subject.cleanup?.()
      }
    })

    describe('values', () => {
      it('round-trips every byte value', async () => {
        const k = scope()
        const all = Uint8Array.from({ length: 256 }, (_, i) => i)
        const reversed = all.slice().reverse()
        await store().set(k('all'), all, LONG_TTL)
        await store().set(k('reversed'), reversed, LONG_TTL)
        expect(Buffer.from((await store().get(k('all')))!)).toEqual(Buffer.from(all))
        expect(Buffer.from((await store().get(k('reversed')))!)).toEqual(Buffer.from(reversed))
      })

      it('round-trips CR/LF sequences, NUL and backslashes byte for byte', async () => {
        const k = scope()
        const tricky = Buffer.from('\r\n\\\r\\\n\r\r\n\n\0END\r\nVALUE x 0 1\r\n\\', 'latin1')
        await store().set(k('tricky'), tricky, LONG_TTL)
        expect(Buffer.from((await store().get(k('tricky')))!)).toEqual(tricky)
      })

      it('round-trips an empty value as present, not missing', async () => {
        const k = scope()
        await store().set(k('empty'), new Uint8Array(0), LONG_TTL)
        const value = await store().get(k('empty'))
        expect(value).toBeInstanceOf(Uint8Array)
        expect(value?.byteLength).toBe(0)
      })

      it('round-trips a 1 MiB value of random bytes', async () => {
        const k = scope()
        const large = randomBytes(MIB)
        await store().set(k('large'), large, LONG_TTL)
        const back = await store().get(k('large'))
        expect(back?.byteLength).toBe(MIB)
        expect(Buffer.from(back!).equals(large)).toBe(true)
      })

      it('reads a missing key as undefined', async () => {
        const k = scope()
        expect(await store().get(k('never-written'))).toBeUndefined()
      })

      it('keeps stored bytes independent of the buffers passed in and handed out', async () => {
        const k = scope()
        const input = bytes('original')
        await store().set(k('copy'), input, LONG_TTL)
        input.fill(0)
        const first = await store().get(k('copy'))
        first!.fill(0)
        expect(text(await store().get(k('copy')))).toBe('original')
      })

      it('overwrites a value together with its TTL', async () => {
        const k = scope()
        await store().set(k('over'), bytes('v1'), shortTtl)
        await store().set(k('over'), bytes('v2'), LONG_TTL)
        expect(text(await store().get(k('over')))).toBe('v2')
        await sleep(shortTtl + 100)
        expect(text(await store().get(k('over')))).toBe('v2')
      })

      it('expires a value after its TTL, and not before', async () => {
        const k = scope()
        const startedAt = Date.now()
        await store().set(k('ttl'), bytes('soon gone'), shortTtl)
        // Read well before the TTL (bounded by how long the write itself took).
        if (Date.now() - startedAt < shortTtl / 3) expect(text(await store().get(k('ttl')))).toBe('soon gone')
        await eventually('expiry', shortTtl + expiryGrace, async () => (await store().get(k('ttl'))) === undefined)
        expect(Date.now() - startedAt).toBeGreaterThanOrEqual(shortTtl - 5)
        expect(await store().getMany([k('ttl')])).toEqual([undefined])
      })

      it('deletes a key, and deleting a missing key is not an error', async () => {
        const k = scope()
        await store().set(k('del'), bytes('x'), LONG_TTL)
        await store().delete(k('del'))
        expect(await store().get(k('del'))).toBeUndefined()
        await expect(store().delete(k('never-written'))).resolves.toBeUndefined()
      })
    })

    describe('bulk operations', () => {
      it('getMany preserves order, with gaps and duplicates', async () => {
        const k = scope()
        await store().set(k('a'), bytes('A'), LONG_TTL)
        await store().set(k('c'), bytes('C'), LONG_TTL)
        const values = await store().getMany([k('c'), k('missing'), k('a'), k('c'), k('b'), k('a')])
        expect(values.map(text)).toEqual(['C', undefined, 'A', 'C', undefined, 'A'])
        expect(await store().getMany([])).toEqual([])
      })

      it('setMany writes every entry with its own TTL', async () => {
        const k = scope()
        await store().setMany([
          { key: k('long'), value: bytes('L'), ttlMs: LONG_TTL },
          { key: k('short'), value: bytes('S'), ttlMs: shortTtl },
          { key: k('bin'), value: Uint8Array.of(0, 255, 13, 10), ttlMs: LONG_TTL },
        ])
        expect((await store().getMany([k('long'), k('short'), k('bin')])).map((v) => v && Buffer.from(v))).toEqual([
          Buffer.from('L'),
          Buffer.from('S'),
          Buffer.from([0, 255, 13, 10]),
        ])
        await eventually('expiry of the short entry', shortTtl + expiryGrace, async () => (await store().get(k('short'))) === undefined)
        expect(text(await store().get(k('long')))).toBe('L')
        await expect(store().setMany([])).resolves.toBeUndefined()
      })

      it('deleteMany removes exactly the listed keys', async () => {
        const k = scope()
        await store().setMany(['a', 'b', 'c', 'd'].map((name) => ({ key: k(name), value: bytes(name), ttlMs: LONG_TTL })))
        await store().deleteMany([k('a'), k('c'), k('never-written'), k('a')])
        expect((await store().getMany([k('a'), k('b'), k('c'), k('d')])).map(text)).toEqual([undefined, 'b', undefined, 'd'])
        await expect(store().deleteMany([])).resolves.toBeUndefined()
      })

      it('deleteManyCounted (where offered) deletes like deleteMany, leases included, and counts the values it removed', async () => {
        const counted = store().deleteManyCounted?.bind(store())
        if (counted === undefined) return
        const k = scope()
        const keys = Array.from({ length: 40 }, (_, i) => k(`counted-${i}-${randomUUID()}`))
        await store().setMany(keys.filter((_, i) => i % 2 === 0).map((key) => ({ key, value: bytes(key), ttlMs: LONG_TTL })))
        // A fill in progress on a present key and on an absent one: the delete cancels both, and neither counts as a value.
        expect(await store().acquireLease(keys[0]!, 'filler', LONG_TTL)).toBe(true)
        expect(await store().acquireLease(keys[1]!, 'filler', LONG_TTL)).toBe(true)
        expect(await counted([...keys, keys[2]!, k('never-written')])).toBe(20)
        expect((await store().getMany(keys)).every((value) => value === undefined)).toBe(true)
        expect(await store().setWithLease(keys[0]!, 'filler', bytes('late'), LONG_TTL)).toBe(false)
        expect(await store().setWithLease(keys[1]!, 'filler', bytes('late'), LONG_TTL)).toBe(false)
        expect(await store().get(keys[0]!)).toBeUndefined()
        expect(await counted(keys)).toBe(0)
        expect(await counted([])).toBe(0)
      })

      it('handles many keys spread over every shard in one call each', async () => {
        const k = scope()
        const keys = Array.from({ length: 500 }, (_, i) => k(`spread-${i}-${randomUUID()}`))
        await store().setMany(keys.map((key, i) => ({ key, value: bytes(`v${i}`), ttlMs: LONG_TTL })))
        const probe = keys.flatMap((key, i) => (i % 7 === 0 ? [key, k(`absent-${i}`)] : [key]))
        const values = await store().getMany(probe)
        expect(values.map(text)).toEqual(
          keys.flatMap((_, i) => (i % 7 === 0 ? [`v${i}`, undefined] : [`v${i}`])),
        )
        await store().deleteMany(keys.filter((_, i) => i % 2 === 0))
        const after = await store().getMany(keys)
        expect(after.map(text)).toEqual(keys.map((_, i) => (i % 2 === 0 ? undefined : `v${i}`)))
      })
    })

    describe('clear(prefix)', () => {
      if (!capabilities.clear) {
        it('rejects, since this backend declares it cannot clear by prefix', async () => {
          await expect(store().clear(scope()('x'))).rejects.toThrow()
        })
        return
      }

      it('removes every key under the prefix and leaves other prefixes alone', async () => {
        const k = scope()
        const inside = Array.from({ length: 120 }, (_, i) => k(`users:${i}`))
        const outside = [k('users'), k('usersx:1'), k('user:1'), k('other:users:1')]
        await store().setMany([...inside, ...outside].map((key) => ({ key, value: bytes(key), ttlMs: LONG_TTL })))
        await store().clear(k('users:'))
        expect((await store().getMany(inside)).every((v) => v === undefined)).toBe(true)
        expect((await store().getMany(outside)).map(text)).toEqual(outside)
      })

      it('treats glob and regex characters in the prefix literally', async () => {
        const k = scope()
        const special = k('a*b?[c]\\{d}.^$|:')
        await store().set(`${special}1`, bytes('in'), LONG_TTL)
        await store().set(k('aXb?[c]\\{d}.^$|:1'), bytes('out1'), LONG_TTL)
        await store().set(k('a*bX[c]\\{d}.^$|:1'), bytes('out2'), LONG_TTL)
        await store().set(k('a*b?c\\{d}.^$|:1'), bytes('out3'), LONG_TTL)
        await store().clear(special)
        expect(await store().get(`${special}1`)).toBeUndefined()
        expect(
          (await store().getMany([k('aXb?[c]\\{d}.^$|:1'), k('a*bX[c]\\{d}.^$|:1'), k('a*b?c\\{d}.^$|:1')])).map(text),
        ).toEqual(['out1', 'out2', 'out3'])
      })

      it('also ends leases under the prefix, so a fill that began before the clear cannot land after it', async () => {
        const k = scope()
        const t = token()
        expect(await store().acquireLease(k('p:filling'), t, LONG_TTL)).toBe(true)
        await store().clear(k('p:'))
        expect(await store().setWithLease(k('p:filling'), t, bytes('stale'), LONG_TTL)).toBe(false)
        expect(await store().get(k('p:filling'))).toBeUndefined()
      })

      it('removes long and unusual keys under the prefix', async () => {
        const k = scope()
        const keys = [k(`long:${'x'.repeat(600)}`), k('long:ünï {cödé} 🚀'), k('long:with space')]
        await store().setMany(keys.map((key) => ({ key, value: bytes('v'), ttlMs: LONG_TTL })))
        await store().set(k('longer'), bytes('stays'), LONG_TTL)
        await store().clear(k('long:'))
        expect(await store().getMany(keys)).toEqual([undefined, undefined, undefined])
        expect(text(await store().get(k('longer')))).toBe('stays')
      })
    })

    describe('scan(prefix) (stores that can list keys)', () => {
      if (!capabilities.scan) {
        it('leaves scan out, so callers report listing as unsupported', () => {
          expect('scan' in store() && store().scan !== undefined).toBe(false)
        })
        return
      }
      /** Every page until the cursor runs out; checks each page's size. */
      const listAll = async (prefix: string, limit: number): Promise<string[]> => {
        const listed: string[] = []
        let cursor: string | undefined
        let pages = 0
        do {
          const page = await store().scan!(prefix, { cursor, limit })
          expect(page.keys.length).toBeLessThanOrEqual(limit)
          listed.push(...page.keys)
          cursor = page.cursor
          if (++pages > 10_000) throw new Error(`${name}: scan never ended`)
        } while (cursor !== undefined)
        return listed
      }

      it('lists every value key under the prefix once, over pages of at most `limit` keys, and nothing else', async () => {
        const k = scope()
        const inside = [...Array.from({ length: 120 }, (_, i) => k(`users:${i}`)), k('users:a{}b{c}'), k('users:{x}y'), k('users:ünï 🚀')]
        const outside = [k('users'), k('usersx:1'), k('other:users:1')]
        await store().setMany([...inside, ...outside].map((key) => ({ key, value: bytes(key), ttlMs: LONG_TTL })))
        // A lease alone is not a value: it is not listed.
        expect(await store().acquireLease(k('users:leased'), token(), LONG_TTL)).toBe(true)
        for (const limit of [7, 500]) {
          const listed = await listAll(k('users:'), limit)
          expect([...listed].sort(), `limit ${limit}`).toEqual([...inside].sort())
        }
        if (store().count !== undefined) expect(await store().count!(k('users:'))).toBe(inside.length)
      })

      it('lists nothing for a prefix without keys, and leaves out deleted and expired keys', async () => {
        const k = scope()
        expect(await listAll(k('none:'), 10)).toEqual([])
        await store().set(k('e:gone'), bytes('x'), LONG_TTL)
        await store().set(k('e:short'), bytes('x'), shortTtl)
        await store().set(k('e:stays'), bytes('x'), LONG_TTL)
        await store().delete(k('e:gone'))
        await eventually('the short key expiring', shortTtl + expiryGrace + 2000, async () => (await store().get(k('e:short'))) === undefined)
        expect(await listAll(k('e:'), 10)).toEqual([k('e:stays')])
      })

      it('refuses a cursor it did not make with E_INVALID_CURSOR', async () => {
        await expect(store().scan!(scope()('x'), { cursor: 'not-a-cursor', limit: 10 })).rejects.toMatchObject({ code: 'E_INVALID_CURSOR' })
      })
    })

    describe('keys', () => {
      const awkward = [
        'ünïcödé-ключ-键-🔑',
        '{tag}rest',
        'rest{tag}',
        'a}b',
        '}{',
        '{}',
        '{',
        '}',
        '{}{x}',
        'with space and\ttab',
        'line\nbreak\r\n',
        'glob*?[chars]\\',
        'x'.repeat(1000),
        `${'y'.repeat(900)}-1`,
        `${'y'.repeat(900)}-2`,
      ]

      it('keeps awkward keys distinct through set, getMany, leases and delete', async () => {
        const k = scope()
        const keys = awkward.map((suffix) => k(suffix))
        await Promise.all(keys.map((key, i) => store().set(key, bytes(`value-${i}`), LONG_TTL)))
        expect((await store().getMany(keys)).map(text)).toEqual(keys.map((_, i) => `value-${i}`))
        for (const [i, key] of keys.entries()) {
          expect(text(await store().get(key))).toBe(`value-${i}`)
          const t = token()
          expect(await store().acquireLease(key, t, LONG_TTL)).toBe(true)
          expect(await store().setWithLease(key, t, bytes(`leased-${i}`), LONG_TTL)).toBe(true)
        }
        expect((await store().getMany(keys)).map(text)).toEqual(keys.map((_, i) => `leased-${i}`))
        await store().delete(keys[0]!)
        await store().deleteMany(keys.slice(1, 5))
        expect((await store().getMany(keys)).map(text)).toEqual(keys.map((_, i) => (i < 5 ? undefined : `leased-${i}`)))
      })
    })

    describe('leases', () => {
      it('grants a lease to one holder at a time', async () => {
        const k = scope()
        const [t1, t2] = [token(), token()]
        expect(await store().acquireLease(k('l'), t1, LONG_TTL)).toBe(true)
        expect(await store().acquireLease(k('l'), t2, LONG_TTL)).toBe(false)
        expect(await store().acquireLease(k('l'), t1, LONG_TTL)).toBe(false)
      })

      it('grants exactly one of many concurrent acquisitions', async () => {
        const k = scope()
        const results = await Promise.all(Array.from({ length: 50 }, () => store().acquireLease(k('race'), token(), LONG_TTL)))
        expect(results.filter(Boolean)).toHaveLength(1)
      })

      it('setWithLease writes only with the holder token, then releases the lease', async () => {
        const k = scope()
        const [holder, other] = [token(), token()]
        expect(await store().acquireLease(k('l'), holder, LONG_TTL)).toBe(true)
        expect(await store().setWithLease(k('l'), other, bytes('intruder'), LONG_TTL)).toBe(false)
        expect(await store().get(k('l'))).toBeUndefined()
        expect(await store().setWithLease(k('l'), holder, bytes('filled'), LONG_TTL)).toBe(true)
        expect(text(await store().get(k('l')))).toBe('filled')
        // Released by the successful write: a second write with the same token fails, a new holder may acquire.
        expect(await store().setWithLease(k('l'), holder, bytes('again'), LONG_TTL)).toBe(false)
        expect(await store().acquireLease(k('l'), other, LONG_TTL)).toBe(true)
      })

      it('deleteWithLease deletes only with the holder token, and not after a set broke the lease', async () => {
        const k = scope()
        const [holder, other] = [token(), token()]
        await store().set(k('d'), bytes('v'), LONG_TTL)
        expect(await store().acquireLease(k('d'), holder, LONG_TTL)).toBe(true)
        expect(await store().deleteWithLease(k('d'), other)).toBe(false)
        expect(text(await store().get(k('d')))).toBe('v')
        expect(await store().deleteWithLease(k('d'), holder)).toBe(true)
        expect(await store().get(k('d'))).toBeUndefined()
        // The lease went with the key: a new holder may acquire at once.
        expect(await store().acquireLease(k('d'), other, LONG_TTL)).toBe(true)

        const t = token()
        await store().set(k('e'), bytes('old'), LONG_TTL)
        expect(await store().acquireLease(k('e'), t, LONG_TTL)).toBe(true)
        await store().set(k('e'), bytes('newer write'), LONG_TTL)
        expect(await store().deleteWithLease(k('e'), t)).toBe(false)
        expect(text(await store().get(k('e')))).toBe('newer write')
        expect(await store().deleteWithLease(k('none'), token())).toBe(false)
      })

      it('setWithLease without any lease fails and writes nothing', async () => {
        const k = scope()
        expect(await store().setWithLease(k('none'), token(), bytes('x'), LONG_TTL)).toBe(false)
        expect(await store().get(k('none'))).toBeUndefined()
      })

      it('a delete breaks the lease: the late fill fails and the key stays absent', async () => {
        const k = scope()
        const t = token()
        await store().set(k('l'), bytes('old'), LONG_TTL)
        expect(await store().acquireLease(k('l'), t, LONG_TTL)).toBe(true)
        await store().delete(k('l'))
        expect(await store().setWithLease(k('l'), t, bytes('stale'), LONG_TTL)).toBe(false)
        expect(await store().get(k('l'))).toBeUndefined()
        expect(await store().acquireLease(k('l'), token(), LONG_TTL)).toBe(true)
      })

      it('deleteMany breaks leases too', async () => {
        const k = scope()
        const t = token()
        expect(await store().acquireLease(k('l'), t, LONG_TTL)).toBe(true)
        await store().deleteMany([k('other'), k('l')])
        expect(await store().setWithLease(k('l'), t, bytes('stale'), LONG_TTL)).toBe(false)
        expect(await store().get(k('l'))).toBeUndefined()
      })

      it('a set cancels the lease, so an older fill cannot overwrite the newer write', async () => {
        const k = scope()
        const t = token()
        expect(await store().acquireLease(k('l'), t, LONG_TTL)).toBe(true)
        await store().set(k('l'), bytes('newer write'), LONG_TTL)
        expect(await store().setWithLease(k('l'), t, bytes('older fill'), LONG_TTL)).toBe(false)
        expect(text(await store().get(k('l')))).toBe('newer write')
      })

      it('a lease does not hide the current value while its holder refreshes it', async () => {
        const k = scope()
        const t = token()
        await store().set(k('l'), bytes('current'), LONG_TTL)
        expect(await store().acquireLease(k('l'), t, LONG_TTL)).toBe(true)
        expect(text(await store().get(k('l')))).toBe('current')
        expect((await store().getMany([k('l')])).map(text)).toEqual(['current'])
        expect(await store().acquireLease(k('l'), token(), LONG_TTL)).toBe(false)
        expect(await store().setWithLease(k('l'), t, bytes('refreshed'), LONG_TTL)).toBe(true)
        expect(text(await store().get(k('l')))).toBe('refreshed')
      })

      it('an expired lease lets another holder acquire, and the old holder can no longer write', async () => {
        const k = scope()
        const [first, second] = [token(), token()]
        expect(await store().acquireLease(k('l'), first, shortTtl)).toBe(true)
        await eventually('lease expiry', shortTtl + expiryGrace, () => store().acquireLease(k('l'), second, LONG_TTL))
        expect(await store().setWithLease(k('l'), first, bytes('late'), LONG_TTL)).toBe(false)
        expect(await store().setWithLease(k('l'), second, bytes('fresh'), LONG_TTL)).toBe(true)
        expect(text(await store().get(k('l')))).toBe('fresh')
      })

      it('a lease on a value outlives the value without resurrecting it', async () => {
        const k = scope()
        const t = token()
        await store().set(k('l'), bytes('short-lived'), shortTtl)
        expect(await store().acquireLease(k('l'), t, LONG_TTL)).toBe(true)
        await eventually('expiry', shortTtl + expiryGrace, async () => (await store().get(k('l'))) === undefined)
        expect(await store().acquireLease(k('l'), token(), LONG_TTL)).toBe(false)
        expect(await store().setWithLease(k('l'), t, bytes('refilled'), LONG_TTL)).toBe(true)
        expect(text(await store().get(k('l')))).toBe('refilled')
      })

      it('releaseLease works only for the holder', async () => {
        const k = scope()
        const [holder, other] = [token(), token()]
        await store().set(k('l'), bytes('kept'), LONG_TTL)
        expect(await store().acquireLease(k('l'), holder, LONG_TTL)).toBe(true)
        await store().releaseLease(k('l'), other)
        expect(await store().acquireLease(k('l'), other, LONG_TTL)).toBe(false)
        await store().releaseLease(k('l'), holder)
        expect(text(await store().get(k('l')))).toBe('kept')
        expect(await store().acquireLease(k('l'), other, LONG_TTL)).toBe(true)
        await store().releaseLease(k('never-leased'), other)
        expect(await store().get(k('never-leased'))).toBeUndefined()
      })

      it.runIf(capabilities.atomicLeaseSet)(
        'setWithLease racing a delete never leaves a value behind (the check and the write are atomic)',
        async () => {
          const k = scope()
          const rounds = Array.from({ length: 100 }, (_, i) => k(`race-${i}`))
          await Promise.all(
            rounds.map(async (key) => {
              const t = token()
              expect(await store().acquireLease(key, t, LONG_TTL)).toBe(true)
              // Either order is legal, but in both the key ends absent: a delete after the write removes it, and a
              // delete before the write breaks the lease.
              await Promise.all([store().setWithLease(key, t, bytes('fill'), LONG_TTL), store().delete(key)])
            }),
          )
          expect((await store().getMany(rounds)).filter((v) => v !== undefined)).toHaveLength(0)
        },
      )
    })

    describe('concurrency and health', () => {
      it('serves 100 parallel writes and 100 parallel reads', async () => {
        const k = scope()
        const keys = Array.from({ length: 100 }, (_, i) => k(`c${i}`))
        await Promise.all(keys.map((key, i) => store().set(key, bytes(`v${i}`.repeat(i + 1)), LONG_TTL)))
        const values = await Promise.all(keys.map((key) => store().get(key)))
        expect(values.map(text)).toEqual(keys.map((_, i) => `v${i}`.repeat(i + 1)))
      })

      it('keeps the last of many concurrent writes to one key', async () => {
        const k = scope()
        await Promise.all(Array.from({ length: 100 }, (_, i) => store().set(k('hot'), bytes(`w${i}`), LONG_TTL)))
        expect(text(await store().get(k('hot')))).toMatch(/^w\d+$/)
        await store().set(k('hot'), bytes('final'), LONG_TTL)
        expect(text(await store().get(k('hot')))).toBe('final')
      })

      it('answers ping', async () => {
        await expect(store().ping()).resolves.toBeUndefined()
      })
    })
  })
}
