import { AccessOrderDeque } from './access-order-deque.js'
import type { EvictionPolicy, EvictionPolicyOptions, PolicyKey, PolicyNode } from './eviction-policy.js'
import { validateBudget } from './validate.js'

const RESIDENT = 1

/** Least recently used: one intrusive list, a hit moves the node to the tail, eviction takes the head. */
export class LruPolicy<N extends PolicyNode = PolicyNode> implements EvictionPolicy<N> {
  readonly name = 'lru'
  private readonly deque = new AccessOrderDeque<N>(RESIDENT)
  private readonly maximumWeight: number
  private readonly maximumSize: number
  private readonly onEvict: (node: N) => void
  private weight = 0
  private count = 0

  constructor(options: EvictionPolicyOptions<N>) {
    validateBudget(options)
    this.maximumWeight = options.maximumWeight
    this.maximumSize = options.maximumSize ?? Number.POSITIVE_INFINITY
    this.onEvict = options.onEvict
  }

  get size(): number {
    return this.count
  }

  get weightedSize(): number {
    return this.weight
  }

  onHit(node: N): void {
    this.deque.moveToLast(node)
  }

  onMiss(_key: PolicyKey): void {}

  onInsert(node: N): boolean {
    if (node.weight > this.maximumWeight) return false
    this.deque.addLast(node)
    this.weight += node.weight
    this.count++
    this.evict()
    return true
  }

  onUpdate(node: N, weight: number): boolean {
    this.weight += weight - node.weight
    node.weight = weight
    this.deque.moveToLast(node)
    if (weight > this.maximumWeight) {
      this.unlink(node)
      this.onEvict(node)
      return false
    }
    this.evict()
    return true
  }

  onRemove(node: N): void {
    this.unlink(node)
  }

  clear(): void {
    this.deque.clear()
    this.weight = 0
    this.count = 0
  }

  private unlink(node: N): void {
    this.deque.remove(node)
    this.weight -= node.weight
    this.count--
  }

  private evict(): void {
    while (this.weight > this.maximumWeight || this.count > this.maximumSize) {
      const victim = this.deque.peekFirst()
      if (victim === null) return
      this.unlink(victim)
      this.onEvict(victim)
    }
  }
}
