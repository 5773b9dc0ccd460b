import { describe, expect, it } from 'vitest'
import { PolicyNode } from './eviction-policy.js'
import { LruPolicy } from './lru.js'

function setup(maximumWeight: number, maximumSize?: number) {
  const evicted: string[] = []
  const policy = new LruPolicy({
    maximumWeight,
    ...(maximumSize === undefined ? {} : { maximumSize }),
    onEvict: (node) => evicted.push(node.key as string),
  })
  const nodes = new Map<string, PolicyNode>()
  const insert = (key: string, weight = 1): boolean => {
    const node = new PolicyNode(key, weight)
    nodes.set(key, node)
    return policy.onInsert(node)
  }
  const hit = (key: string): void => policy.onHit(nodes.get(key)!)
  return { policy, evicted, nodes, insert, hit }
}

describe('LruPolicy', () => {
  it('evicts the least recently used key, a hit making a key the most recent', () => {
    const { policy, evicted, insert, hit } = setup(3)
    insert('a')
    insert('b')
    insert('c')
    hit('a')
    insert('d')
    expect(evicted).toEqual(['b'])
    insert('e')
    expect(evicted).toEqual(['b', 'c'])
    hit('a')
    insert('f')
    insert('g')
    expect(evicted).toEqual(['b', 'c', 'd', 'e'])
    expect(policy.size).toBe(3)
  })

  it('keeps the sum of weights within the budget and rejects an entry heavier than it', () => {
    const { policy, evicted, insert } = setup(10)
    insert('a', 4)
    insert('b', 4)
    insert('c', 4)
    expect(evicted).toEqual(['a'])
    expect(policy.weightedSize).toBe(8)
    expect(insert('huge', 11)).toBe(false)
    expect(evicted).toEqual(['a'])
    expect(policy.size).toBe(2)
    insert('d', 9)
    expect(evicted).toEqual(['a', 'b', 'c'])
    expect(policy.weightedSize).toBe(9)
  })

  it('holds a count bound and a weight bound together', () => {
    const { policy, insert } = setup(100, 3)
    for (const key of ['a', 'b', 'c', 'd']) insert(key, 1)
    expect(policy.size).toBe(3)
    insert('e', 99)
    expect(policy.weightedSize).toBeLessThanOrEqual(100)
    expect(policy.size).toBeLessThanOrEqual(3)
  })

  it('re-weighs on update, counts it as a use, and evicts the node itself when it outgrows the budget', () => {
    const { policy, evicted, insert, nodes } = setup(10)
    insert('a', 2)
    insert('b', 2)
    insert('c', 2)
    expect(policy.onUpdate(nodes.get('a')!, 7)).toBe(true)
    expect(evicted).toEqual(['b'])
    expect(policy.weightedSize).toBe(9)
    expect(policy.onUpdate(nodes.get('a')!, 11)).toBe(false)
    expect(evicted).toEqual(['b', 'a'])
    expect(policy.weightedSize).toBe(2)
  })

  it('forgets removed and cleared nodes', () => {
    const { policy, evicted, insert, nodes } = setup(3)
    insert('a')
    insert('b')
    policy.onRemove(nodes.get('a')!)
    expect(policy.size).toBe(1)
    insert('c')
    insert('d')
    expect(evicted).toEqual([])
    policy.clear()
    expect(policy.size).toBe(0)
    expect(policy.weightedSize).toBe(0)
    insert('e')
    expect(policy.size).toBe(1)
  })
})
