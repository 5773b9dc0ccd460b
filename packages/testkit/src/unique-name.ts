import { randomBytes } from 'node:crypto'

/**
 * A name no other test, run or clone sharing the same servers uses: for keys, key prefixes, topics, queues, consumer
 * groups and tables. Only characters every one of those accepts ([a-z0-9._-] after the prefix).
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
}
