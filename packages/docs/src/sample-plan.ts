import type { CodeBlock } from './code-blocks.js'

/** The loaders a `yaml`/`json` block may name with `kind=`; each is the real one the service uses (see loaders.ts). */
export const LOADER_KINDS = ['invalidator-rules', 'alerting-rules', 'warmer-plan', 'strata-config', 'namespace-spec'] as const
export type LoaderKind = (typeof LOADER_KINDS)[number]

/** What the harness does with one block (doc-samples-convention.md). */
export type Sample =
  | { kind: 'shell'; block: CodeBlock; infra: boolean; background?: { ready: string }; destructive: boolean }
  | { kind: 'program'; block: CodeBlock; language: 'ts' | 'js'; infra: boolean }
  | { kind: 'config'; block: CodeBlock; loader: LoaderKind; format: 'yaml' | 'json' }
  | { kind: 'output'; block: CodeBlock }
  /** Printed output the harness compares with what the sh block before it really printed (`text check`). */
  | { kind: 'check'; block: CodeBlock }
  /** A command for a docker-compose deployment: run in order by the compose test (services/platform/test/docker), not here. */
  | { kind: 'docker'; block: CodeBlock }

export interface PlanIssue {
  line: number
  message: string
}

const SHELL = new Set(['sh', 'bash'])
const PROGRAM = new Set(['ts', 'js'])
const CONFIG = new Set(['yaml', 'json'])
/** Printed output, diagrams, answers: shown, never run. */
const NOT_CODE = new Set(['text', 'mermaid', 'http-response'])

const ATTRS: Record<'shell' | 'program' | 'config', ReadonlySet<string>> = {
  shell: new Set(['stack', 'background', 'ready', 'skip']),
  program: new Set(['stack']),
  config: new Set(['kind']),
}

/**
 * How each block runs, or why it cannot: an unknown language or attribute, a `yaml` block without `kind=`, a `skip`
 * other than `skip=destructive`... are issues, so a sample nobody runs cannot slip in.
 */
export function planSamples(blocks: readonly CodeBlock[]): { samples: Sample[]; issues: PlanIssue[] } {
  const samples: Sample[] = []
  const issues: PlanIssue[] = []
  for (const block of blocks) {
    const result = planSample(block)
    if (typeof result === 'string') issues.push({ line: block.line, message: `\`\`\`${block.info}: ${result}` })
    else samples.push(result)
  }
  return { samples, issues }
}

function planSample(block: CodeBlock): Sample | string {
  const { lang, attrs } = block
  if (lang === '') return 'a fence needs a language: sh, ts, js, yaml/json with kind=, or text for output and diagrams'
  if (lang === 'text' && 'check' in attrs) {
    const extra = Object.keys(attrs).filter((name) => name !== 'check')
    if (attrs.check !== '') return 'check takes no value: the block is compared with what the sh block before it printed'
    return extra.length === 0 ? { kind: 'check', block } : `a checked output takes no other attribute (${extra.join(', ')})`
  }
  if (NOT_CODE.has(lang) || 'output' in attrs) {
    const extra = Object.keys(attrs).filter((name) => name !== 'output')
    return extra.length === 0 ? { kind: 'output', block } : `output is not run, so ${extra.join(', ')} means nothing here`
  }
  const family = SHELL.has(lang) ? 'shell' : PROGRAM.has(lang) ? 'program' : CONFIG.has(lang) ? 'config' : undefined
  if (family === undefined) return `unknown language '${lang}' (run: sh, bash, ts, js, yaml/json with kind=; not run: text, mermaid, http-response, or add 'output')`
  const unknown = Object.keys(attrs).filter((name) => !ATTRS[family].has(name))
  if (unknown.length > 0) return `unknown attribute ${unknown.join(', ')} for ${lang} (allowed: ${[...ATTRS[family], 'output'].join(', ')})`
  const stack = attrs.stack ?? 'embedded'
  if (stack === 'docker') {
    const extra = Object.keys(attrs).filter((name) => name !== 'stack')
    if (family !== 'shell') return 'stack=docker is for sh blocks (the compose test runs them against docker-compose.yml)'
    return extra.length === 0 ? { kind: 'docker', block } : `stack=docker blocks run in order in one shell: ${extra.join(', ')} means nothing here`
  }
  if (stack !== 'embedded' && stack !== 'infra') return `stack=${stack}: only stack=embedded (the default), stack=infra or stack=docker`
  const infra = stack === 'infra'

  if (family === 'shell') {
    if (attrs.skip !== undefined && attrs.skip !== 'destructive') return `skip=${attrs.skip}: every sample runs; only skip=destructive (a command that would wipe the reader's machine) is allowed`
    const destructive = attrs.skip === 'destructive'
    const background = 'background' in attrs
    if (background !== (attrs.ready !== undefined)) return 'background and ready=<regex> go together (ready says which output line means it started)'
    if (background && attrs.background !== '') return 'background takes no value; the readiness regex goes in ready='
    if (background && destructive) return 'a destructive command is not started'
    if (attrs.ready === '') return 'ready= needs a regex'
    return { kind: 'shell', block, infra, destructive, ...(attrs.ready === undefined ? {} : { background: { ready: attrs.ready } }) }
  }
  if (family === 'program') return { kind: 'program', block, language: lang as 'ts' | 'js', infra }
  const loader = attrs.kind
  if (loader === undefined) return `a ${lang} block is either validated (kind=${LOADER_KINDS.join('|')}) or output (\`\`\`${lang} output)`
  if (!(LOADER_KINDS as readonly string[]).includes(loader)) return `kind=${loader}: no such loader (known: ${LOADER_KINDS.join(', ')})`
  return { kind: 'config', block, loader: loader as LoaderKind, format: lang as 'yaml' | 'json' }
}
