import type { StrataError } from '@strata/core'

/**
 * The API key: `--api-key`, else `STRATA_KEY` (what the README, the guides and `pnpm start`'s banner use), else
 * `STRATA_API_KEY` (the older name, still read).
 */
export function apiKeyOf(options: { apiKey?: string }, env: NodeJS.ProcessEnv): string | undefined {
  const key = options.apiKey ?? (env.STRATA_KEY || undefined) ?? (env.STRATA_API_KEY || undefined)
  return key === '' ? undefined : key
}

/** What to do about a refused key: which variable or flag was read, or that none was. */
export function credentialHint(error: StrataError, options: { apiKey?: string }, env: NodeJS.ProcessEnv): string {
  const status = error.context.status
  if (status !== 401 && status !== 403) return ''
  const source = options.apiKey !== undefined && options.apiKey !== '' ? '--api-key' : env.STRATA_KEY ? 'STRATA_KEY' : env.STRATA_API_KEY ? 'STRATA_API_KEY' : undefined
  if (source === undefined) return 'strata: no API key was sent: export STRATA_KEY=sk_... (the admin key `pnpm start` prints) or pass --api-key\n'
  return status === 401
    ? `strata: the gateway refused the key from ${source}: check it (keys are shown once, when made)\n`
    : `strata: the key from ${source} may not do this: it needs a key with the scope the message names\n`
}
