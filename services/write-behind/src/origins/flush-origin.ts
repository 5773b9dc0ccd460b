/** One key's latest pending write, as the flusher hands it to the origin. */
export interface FlushRecord {
  namespace: string
  key: string
  /** null deletes the key (the origin keeps a tombstone with the version, so an older write cannot resurrect it). */
  value: unknown
  version: number
  /** When the write was acknowledged (epoch ms). */
  at: number
  /** The producer's W3C trace context (the gateway's buffer add), for the flush's spans; origins do not see it. */
  traceparent?: string
}

export interface FlushOutcome {
  /** Records the origin refused for themselves (a bad row); the rest of the batch was applied. */
  rejected: Array<{ record: FlushRecord; error: Error }>
}

/**
 * Where write-behind writes end up. `write` applies a batch so that a record never replaces a newer version of its
 * key (the version guard makes replays and reordering harmless), and throws when the origin as a whole is
 * unavailable, which retries the whole batch later.
 */
export interface FlushOrigin {
  readonly kind: string
  write(records: readonly FlushRecord[]): Promise<FlushOutcome>
  /** Whether the origin answers now (for /health/ready). */
  ping(): Promise<boolean>
  close(): Promise<void>
}
