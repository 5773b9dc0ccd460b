export type { KeysTarget, QueriesTarget, WarmTarget } from '@strata/config'

/** Loads the origin value of a key of a namespace (an HTTP origin, a database, your code). */
export type KeyLoader = (key: string) => Promise<unknown>
