export { RedisPendingWrites, type RedisPendingWritesOptions } from './redis-pending-writes.js'
