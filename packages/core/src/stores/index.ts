export type { L2Store, L2SetEntry } from './l2-store.js'
export { MemoryStore, memoryStore, type MemoryStoreOptions } from './memory/memory-store.js'
