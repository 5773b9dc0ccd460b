import type { PolicyNode } from './eviction-policy.js'

/**
 * An intrusive doubly linked list over `PolicyNode.prev/next`, null-terminated, with head and tail pointers (no
 * sentinel object, so every node a policy touches has the tier's entry shape and property access stays monomorphic).
 * The head is the least recently used. A node is in at most one deque at a time; `node.queue` names it.
 */
export class AccessOrderDeque<N extends PolicyNode> {
  private head: N | null = null
  private tail: N | null = null

  constructor(readonly queue: number) {}

  get isEmpty(): boolean {
    return this.head === null
  }

  peekFirst(): N | null {
    return this.head
  }

  peekLast(): N | null {
    return this.tail
  }

  addLast(node: N): void {
    const tail = this.tail
    node.prev = tail
    node.next = null
    if (tail === null) this.head = node
    else tail.next = node
    this.tail = node
    node.queue = this.queue
  }

  addFirst(node: N): void {
    const head = this.head
    node.prev = null
    node.next = head
    if (head === null) this.tail = node
    else head.prev = node
    this.head = node
    node.queue = this.queue
  }

  /** Moves a node of this deque to the tail (most recently used). */
  moveToLast(node: N): void {
    const tail = this.tail!
    if (node === tail) return
    const prev = node.prev
    const next = node.next!
    if (prev === null) this.head = next as N
    else prev.next = next
    next.prev = prev
    node.prev = tail
    node.next = null
    tail.next = node
    this.tail = node
  }

  /** Moves a node of this deque to the head (first to leave). */
  moveToFirst(node: N): void {
    const head = this.head!
    if (node === head) return
    const prev = node.prev!
    const next = node.next
    if (next === null) this.tail = prev as N
    else next.prev = prev
    prev.next = next
    node.prev = null
    node.next = head
    head.prev = node
    this.head = node
  }

  /** Unlinks a node of this deque and marks it not resident. */
  remove(node: N): void {
    const prev = node.prev
    const next = node.next
    if (prev === null) this.head = next as N | null
    else prev.next = next
    if (next === null) this.tail = prev as N | null
    else next.prev = prev
    node.prev = null
    node.next = null
    node.queue = 0
  }

  /** Drops every node at once; the nodes keep stale links and must be discarded by the caller. */
  clear(): void {
    this.head = null
    this.tail = null
  }

  *[Symbol.iterator](): IterableIterator<N> {
    for (let node = this.head; node !== null; node = node.next as N | null) yield node
  }
}
