/** Something to warm: keys of a namespace (loaded through `load`), or queries run through a DbCache. */
export type WarmTarget = KeysTarget | QueriesTarget

interface TargetBase {
  /** Unique; names the BullMQ job scheduler and the progress events. */
  name: string
  /** Cron pattern (5 fields, or 6 with seconds first); none for start/manual only. */
  cron?: string
  /** Warm once when the warmer starts (after a deploy, before traffic). */
  onStart?: boolean
}

export interface KeysTarget extends TargetBase {
  kind: 'keys'
  namespace: string
  keys: readonly string[]
  /**
   * Refresh-ahead: a key still cached but expiring within this many ms is reloaded and set again, so readers never
   * meet the miss. Without it, cached keys are left alone.
   */
  refreshAheadMs?: number
}

export interface QueriesTarget extends TargetBase {
  kind: 'queries'
  /** Each query is run once per parameter list (once without parameters when `params` is absent). */
  queries: readonly { sql: string; params?: readonly (readonly unknown[])[] }[]
}

/** Loads the origin value of a key of a namespace (an HTTP origin, a database, your code). */
export type KeyLoader = (key: string) => Promise<unknown>
