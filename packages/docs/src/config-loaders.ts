import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { loadConfig, namespaceIssues, parseAlertingConfig, parsePlan } from '@strata/config'
import { parseRules } from '@strata/invalidation'
import type { LoaderKind } from './sample-plan.js'

export interface LoaderContext {
  /** Where the block came from (`docs/guides/x.md:12`), for the loaders' own messages. */
  label: string
  format: 'yaml' | 'json'
  /** A scratch directory for loaders that read a file. */
  directory: string
  /** The embedded gateway and its admin key (namespace specs are checked by the admin API itself). */
  gatewayUrl: string
  adminKey: string
  /** The reader's environment at this point: the session's exports so far (a receiver's secretEnv must be set). */
  env: Record<string, string | undefined>
}

/**
 * The real loader for each `kind=`: the one the service runs at start (or the admin API for a namespace spec), so a
 * sample that passes here is one the product accepts. Each throws with the loader's own message when it does not.
 */
export const CONFIG_LOADERS: Record<LoaderKind, (text: string, context: LoaderContext) => Promise<void>> = {
  'invalidator-rules': (text, { label }) => Promise.resolve(void parseRules(text, label)),
  'alerting-rules': (text, { label, env }) => Promise.resolve(void parseAlertingConfig(text, label, env)),
  'warmer-plan': (text, { label }) => Promise.resolve(void parsePlan(text, label)),
  // What `strata config validate --no-env <file>` runs (and every service at start, with the environment over it).
  'strata-config': (text, { directory, format }) => {
    const file = join(directory, `strata-config.${format}`)
    writeFileSync(file, text)
    loadConfig({ file, env: {}, refine: namespaceIssues })
    return Promise.resolve()
  },
  'namespace-spec': async (text, { gatewayUrl, adminKey }) => {
    // PUT /v1/admin/namespaces/{ns} on the embedded gateway under a scratch name, then removed.
    const url = `${gatewayUrl}/v1/admin/namespaces/doc-sample-${Date.now()}`
    const headers = { 'x-api-key': adminKey, 'content-type': 'application/json' }
    const response = await fetch(url, { method: 'PUT', headers, body: JSON.stringify(parse(text)) })
    if (!response.ok) throw new Error(`PUT /v1/admin/namespaces refused it: ${response.status} ${await response.text()}`)
    await fetch(url, { method: 'DELETE', headers })
  },
}
