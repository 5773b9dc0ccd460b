/** One schema issue as Ajv reports it (with `verbose`, so the parent schema names the allowed properties). */
export interface SchemaIssue {
  keyword: string
  instancePath: string
  message?: string | undefined
  params: Record<string, unknown>
  parentSchema?: unknown
  data?: unknown
}

export interface NamedIssue {
  path: string
  message: string
}

/** An Error whose message names every culprit; Fastify adds `validation`, `validationContext` and the 400 status. */
export class SchemaValidationError extends Error {
  constructor(readonly issues: NamedIssue[]) {
    super(issues.map((issue) => issue.message).join('; '))
  }
}

const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query parameter', params: 'path parameter', headers: 'header' }

/**
 * Fastify's schemaErrorFormatter: turns Ajv's issues into sentences that name the property and what it may be —
 * `body has an unknown property 'tll' (did you mean 'ttl'?); allowed: value, ttl, tags` rather than Ajv's
 * `must NOT have additional properties`. A union of literals (TypeBox's enums) reads as one "must be one of".
 */
export function describeSchemaIssues(issues: readonly SchemaIssue[], part: string): SchemaValidationError {
  const byPath = new Map<string, SchemaIssue[]>()
  for (const issue of issues) byPath.set(issue.instancePath, [...(byPath.get(issue.instancePath) ?? []), issue])
  const named: NamedIssue[] = []
  for (const [path, group] of byPath) {
    const where = placeOf(part, path)
    const literals = group.filter((issue) => issue.keyword === 'const').map((issue) => issue.params.allowedValue)
    if (literals.length > 0 && group.some((issue) => issue.keyword === 'anyOf')) {
      named.push({ path, message: `${where} must be one of ${literals.map(show).join(', ')}${got(group[0]!.data)}` })
      continue
    }
    for (const issue of group) {
      if (issue.keyword === 'anyOf' && group.length > 1) continue
      named.push({ path, message: sentence(issue, where) })
    }
  }
  return new SchemaValidationError(dedupe(named))
}

function sentence(issue: SchemaIssue, where: string): string {
  const params = issue.params
  switch (issue.keyword) {
    case 'additionalProperties': {
      const unknown = String(params.additionalProperty)
      const allowed = Object.keys((issue.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {})
      const near = closest(unknown, allowed)
      return `${where} has an unknown property '${unknown}'${near === undefined ? '' : ` (did you mean '${near}'?)`}${allowed.length === 0 ? '' : `; allowed: ${allowed.join(', ')}`}`
    }
    case 'required':
      return `${where} is missing the required property '${String(params.missingProperty)}'`
    case 'enum':
      return `${where} must be one of ${(params.allowedValues as unknown[]).map(show).join(', ')}${got(issue.data)}`
    case 'const':
      return `${where} must be ${show(params.allowedValue)}${got(issue.data)}`
    case 'type':
      return `${where} must be ${article(String(params.type))}${got(issue.data)}`
    default:
      return `${where} ${issue.message ?? 'is not valid'}`
  }
}

/** `body`, `body.tags[0]`, `query parameter 'limit'`, `path parameter 'ns'`. */
function placeOf(part: string, instancePath: string): string {
  const segments = instancePath.split('/').slice(1).map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (part === 'body') return segments.reduce((text, segment) => (/^\d+$/.test(segment) ? `${text}[${segment}]` : `${text}.${segment}`), 'body')
  const name = PART_NAMES[part] ?? part
  return segments.length === 0 ? (part === 'querystring' ? 'the query string' : name) : `${name} '${segments.join('.')}'`
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value)
}

function got(data: unknown): string {
  if (data === undefined) return ''
  if (data === null) return ' (got null)'
  if (Array.isArray(data)) return ' (got an array)'
  if (typeof data === 'string') return ` (got '${data.length > 40 ? `${data.slice(0, 40)}…` : data}')`
  if (typeof data === 'number' || typeof data === 'boolean') return ` (got ${data})`
  return ' (got an object)'
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`
}

function dedupe(issues: NamedIssue[]): NamedIssue[] {
  const seen = new Set<string>()
  return issues.filter((issue) => !seen.has(issue.message) && seen.add(issue.message))
}

/** The allowed name a typo most likely meant: at most two edits away, and fewer edits than the name is long. */
function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (distance <= 2 && distance < candidate.length && (best === undefined || distance < best.distance)) best = { candidate, distance }
  }
  return best?.candidate
}

/** Optimal string alignment distance: a swapped pair of letters (`tll` / `ttl` is one substitution) counts as one edit. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return Number.POSITIVE_INFINITY
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
    }
  }
  return d[a.length]![b.length]!
}
