import { describe, expect, it } from 'vitest'
import { parseAlertingConfig } from './rules-loader.js'
import { TEMPLATES } from './templates.js'

const errorOf = (text: string, env: Record<string, string> = {}): string => {
  try {
    parseAlertingConfig(text, 'alerts.yaml', env)
  } catch (error) {
    expect((error as { code?: string }).code).toBe('E_ALERT_RULES_INVALID')
    return (error as Error).message
  }
  throw new Error('accepted')
}

describe('alerting rules file', () => {
  it('expands templates, applies overrides and reads receivers', () => {
    const config = parseAlertingConfig(
      `version: 1
interval: 200ms
receivers:
  - name: ops
    url: http://127.0.0.1:9/hook
    secretEnv: OPS_SECRET
    format: slack
    match: { namespaces: [catalog], severities: [critical] }
rules:
  - name: catalog-hit-ratio
    template: hit-ratio-drop
    params: { namespace: catalog, below: 0.5, window: 1s }
    for: 400ms
  - name: lag
    kind: anomaly
    expr: { gauge: { metric: strata_write_behind_flush_lag_seconds } }
    baseline: 10m
    k: 4
`,
      'alerts.yaml',
      { OPS_SECRET: 'sixteen-chars-or-more' },
    )
    expect(config.intervalMs).toBe(200)
    expect(config.receivers).toEqual([{ name: 'ops', url: 'http://127.0.0.1:9/hook', secret: 'sixteen-chars-or-more', format: 'slack', namespaces: ['catalog'], severities: ['critical'], timeoutMs: 5000 }])
    const [hitRatio, lag] = config.rules
    expect(hitRatio).toMatchObject({ name: 'catalog-hit-ratio', kind: 'threshold', op: '<', threshold: 0.5, windowMs: 1000, forMs: 400, by: ['namespace'], origin: 'alerts.yaml:10' })
    expect(lag).toMatchObject({ kind: 'anomaly', k: 4, baselineMs: 600_000, minSamples: 5, direction: 'both' })
  })

  it('names the file, line and rule of the first problem', () => {
    expect(errorOf('version: 1\nrules:\n  - name: a\n    kind: threshold\n    expr: { gauge: { metric: up } }\n    op: ">"\n')).toBe("alerts.yaml:3: rule 'a' (#1): a threshold rule needs 'threshold'")
    expect(errorOf('version: 1\nrules:\n  - name: a\n    kind: threshold\n    op: ">"\n    threshold: 1\n    for: soon\n    expr: { gauge: { metric: up } }\n')).toMatch(/^alerts\.yaml:7: rule 'a' \(#1\): \/for: /)
    expect(errorOf('version: 1\nrules:\n  - name: b\n    template: nope\n')).toMatch(/^alerts\.yaml:4: rule 'b' \(#1\): unknown template 'nope'/)
    expect(errorOf('version: 1\nrules:\n  - name: c\n    kind: threshold\n    op: ">"\n    threshold: 1\n    expr: { gauge: { metric: up, match: { code: { re: "(" } } } }\n')).toMatch(/^alerts\.yaml:7: rule 'c' \(#1\): invalid regular expression/)
    expect(errorOf('version: 1\nrules: [\n')).toMatch(/^alerts\.yaml:\d+: YAML syntax error/)
    expect(errorOf('version: 2\n')).toMatch(/^alerts\.yaml:1: \/version: /)
    expect(errorOf('version: 1\nreceivers:\n  - name: r\n    url: http://x\n    secretEnv: MISSING\n')).toBe("alerts.yaml:5: receiver 'r' (#1): environment variable MISSING must hold a secret of at least 16 characters")
    expect(errorOf('version: 1\nrules:\n  - { name: d, template: dead-letters }\n  - { name: d, template: dead-letters }\n')).toBe("alerts.yaml:4: rule 'd': the name is already used by the rule at alerts.yaml:3")
  })

  it('every built-in template gives a valid rule with its defaults, and refuses a non-numeric param', () => {
    const names = Object.keys(TEMPLATES)
    expect(names).toEqual(['hit-ratio-drop', 'p99-latency', 'error-rate', 'write-behind-lag', 'dead-letters', 'error-events', 'error-dead-letters', 'audit-events', 'consumer-lag', 'memory-near-limit'])
    // memory-near-limit has no default limit: the process's limit is the one thing a template cannot guess.
    const params = (name: string) => (name === 'memory-near-limit' ? ', params: { limitBytes: 1073741824 }' : '')
    const config = parseAlertingConfig(`version: 1\nrules:\n${names.map((name) => `  - { name: ${name}, template: ${name}${params(name)} }`).join('\n')}\n`, 'alerts.yaml', {})
    expect(config.rules.map((rule) => [rule.name, rule.kind])).toEqual(names.map((name) => [name, 'threshold']))
    expect(errorOf('version: 1\nrules:\n  - name: p\n    template: p99-latency\n    params: { above: fast }\n')).toBe("alerts.yaml:5: rule 'p' (#1): param above must be a number, got 'fast'")
    expect(errorOf('version: 1\nrules:\n  - { name: m, template: memory-near-limit }\n')).toMatch(/rule 'm' \(#1\): param limitBytes is required/)
    expect(config.rules.find((rule) => rule.name === 'memory-near-limit')).toMatchObject({ threshold: 966367641 })
  })
})
