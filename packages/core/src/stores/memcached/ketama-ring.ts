import { createHash } from 'node:crypto'

const POINTS_PER_DIGEST = 4
const DIGESTS_PER_SERVER = 40

/**
 * Consistent hashing of keys onto servers, ketama style (libmemcached's, and the `hashring` package that the
 * `memcached` client uses, byte for byte): 160 points per server from MD5 of `host-i` (`host:port-i` when the port is
 * not 11211); a key belongs to the first point at or after the first 32 bits of MD5(key). Processes using either
 * client on the same pool place every key on the same server.
 *
 * The ring never changes while the store runs: a dead server's keys miss rather than move (see memcached-store.ts).
 */
export class KetamaRing<T> {
  readonly #points: Uint32Array
  readonly #owners: T[]

  constructor(nodes: readonly { address: string; node: T }[]) {
    const points: { value: number; node: T }[] = []
    // hashring computes the per-server share as weight/total × vnodes × servers (floating point, floored).
    const perServer = Math.floor((1 / nodes.length) * DIGESTS_PER_SERVER * nodes.length)
    for (const { address, node } of nodes) {
      const [host, port] = splitAddress(address)
      const base = port === 11211 ? host : `${host}:${port}`
      for (let i = 0; i < perServer; i++) {
        const digest = createHash('md5').update(`${base}-${i}`).digest()
        for (let j = 0; j < POINTS_PER_DIGEST; j++) points.push({ value: digest.readUInt32LE(j * 4), node })
      }
    }
    points.sort((a, b) => a.value - b.value)
    this.#points = Uint32Array.from(points, (p) => p.value)
    this.#owners = points.map((p) => p.node)
  }

  nodeFor(key: string): T {
    return this.#owners[this.#firstPoint(key)]!
  }

  /**
   * The first `count` distinct nodes met walking the ring clockwise from the key's point (fewer when the ring has
   * fewer nodes). The first is always nodeFor(key), so a replicated pool places each key's primary copy where an
   * unreplicated one (or another ketama client) does; the others are its replicas.
   */
  nodesFor(key: string, count: number): T[] {
    const start = this.#firstPoint(key)
    const nodes: T[] = []
    for (let i = 0; i < this.#owners.length && nodes.length < count; i++) {
      const node = this.#owners[(start + i) % this.#owners.length]!
      if (!nodes.includes(node)) nodes.push(node)
    }
    return nodes
  }

  #firstPoint(key: string): number {
    const hash = createHash('md5').update(key).digest().readUInt32LE(0)
    const points = this.#points
    let low = 0
    let high = points.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (points[mid]! < hash) low = mid + 1
      else high = mid
    }
    return low === points.length ? 0 : low
  }
}

export function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':')
  if (colon === -1) return [address, 11211]
  return [address.slice(0, colon), Number(address.slice(colon + 1))]
}
