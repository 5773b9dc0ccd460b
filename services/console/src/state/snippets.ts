/**
 * The onboarding's copy-paste snippets for a new namespace and key: the SDK (@strata/client), curl, and an
 * invalidator event rule (docs/guides/invalidation.md). The token itself is never put in a snippet: it is read from
 * STRATA_KEY, so a pasted snippet does not leak it into shell history or source control.
 */
export interface SnippetInput {
  gatewayUrl: string
  namespace: string
}

export function sdkSnippet({ gatewayUrl, namespace }: SnippetInput): string {
  return `import { StrataClient } from '@strata/client'

const strata = new StrataClient({ baseUrl: '${gatewayUrl}', apiKey: process.env.STRATA_KEY })
await strata.set('${namespace}', 'user:42', { name: 'Ada' }, { ttl: 60_000, tags: ['org:7'] })
const user = await strata.get<{ name: string }>('${namespace}', 'user:42')
console.log(user)
await strata.invalidate('${namespace}', { tags: ['org:7'] })
`
}

export function curlSnippet({ gatewayUrl, namespace }: SnippetInput): string {
  const base = `${gatewayUrl}/v1/namespaces/${encodeURIComponent(namespace)}`
  return `export STRATA_KEY=sk_...   # the key shown above
curl -fsS -X PUT ${base}/keys/user:42 \\
  -H "authorization: Bearer $STRATA_KEY" -H 'content-type: application/json' \\
  -d '{"value":{"name":"Ada"},"ttl":60000,"tags":["org:7"]}'
curl -fsS ${base}/keys/user:42 -H "authorization: Bearer $STRATA_KEY"
curl -fsS -X POST ${base}/invalidations \\
  -H "authorization: Bearer $STRATA_KEY" -H 'content-type: application/json' \\
  -d '{"tags":["org:7"]}'
`
}

export function eventRuleSnippet({ namespace }: SnippetInput): string {
  return `version: 1
rules:
  - name: ${namespace}-user-changed
    topic: shop.users.v1
    type: [user.updated, user.deleted]
    namespace: ${namespace}
    keys: ['user:{data.id}']
    tags: ['org:{data.orgId}']
`
}
