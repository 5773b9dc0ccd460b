export type { L2Store, L2SetEntry } from './l2-store.js'
