/**
 * A rule from a domain event to invalidations, as the invalidator service applies them from Kafka. The embedded
 * gateway applies them in-process for `POST /v1/events`. Templates use `{field}` from the event's `data`.
 */
export interface EventRule {
  /** Event type, e.g. `product.updated`. */
  type: string
  /** A KV namespace: keys deleted and tags deleted. */
  namespace?: string
  /** A proxy upstream: surrogate keys purged. */
  upstream?: string
  keys?: string[]
  tags?: string[]
  surrogateKeys?: string[]
}

export interface PlannedInvalidation {
  namespace?: string
  upstream?: string
  keys: string[]
  tags: string[]
  surrogateKeys: string[]
}

/** The invalidations `rules` ask for on an event; templates whose fields are missing from `data` are skipped. */
export function planInvalidations(rules: readonly EventRule[], type: string, data: Record<string, unknown>): PlannedInvalidation[] {
  return rules
    .filter((rule) => rule.type === type)
    .map((rule) => ({
      ...(rule.namespace === undefined ? {} : { namespace: rule.namespace }),
      ...(rule.upstream === undefined ? {} : { upstream: rule.upstream }),
      keys: expand(rule.keys, data),
      tags: expand(rule.tags, data),
      surrogateKeys: expand(rule.surrogateKeys, data),
    }))
}

function expand(templates: readonly string[] | undefined, data: Record<string, unknown>): string[] {
  const out: string[] = []
  for (const template of templates ?? []) {
    let complete = true
    const value = template.replace(/\{([A-Za-z0-9_.-]+)\}/g, (_, field: string) => {
      const v = data[field]
      if (typeof v !== 'string' && typeof v !== 'number') {
        complete = false
        return ''
      }
      return String(v)
    })
    if (complete && value !== '') out.push(value)
  }
  return out
}
