import { randomBytes } from 'node:crypto'

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding — never starting with '-', which the storage tool
 * would read as an option (Kafka's own Uuid.randomUuid() redraws those too; 1 in 64 ids failed here).
 */
export function kraftClusterId(): string {
  let id = randomBytes(16).toString('base64url')
  while (id.startsWith('-')) id = randomBytes(16).toString('base64url')
  return id
}
