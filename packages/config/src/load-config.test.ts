import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isStrataError, type StrataError } from '@strata/core'
import { loadConfig, type ConfigIssue } from './load-config.js'

const dir = mkdtempSync(join(tmpdir(), 'strata-config-'))
function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
function issuesOf(run: () => unknown): ConfigIssue[] {
  try {
    run()
  } catch (error) {
    expect(isStrataError(error, 'E_CONFIG_INVALID')).toBe(true)
    return (error as StrataError).context.issues as ConfigIssue[]
  }
  throw new Error('expected E_CONFIG_INVALID')
}

describe('loadConfig', () => {
  it('gives the defaults, each marked as such', () => {
    const { config, sources } = loadConfig({ env: {} })
    expect(config).toMatchObject({ host: '0.0.0.0', port: 8080, l2: 'redis', bus: 'none', kafkaBrokers: ['127.0.0.1:9092'], namespaces: {}, logLevel: 'info' })
    expect(sources.port).toEqual({ kind: 'default' })
  })

  it('layers a YAML file over the defaults and the environment over the file, recording each source', () => {
    const path = file('gateway.yaml', 'port: 9000\nbus: kafka\nupstreams:\n  demo:\n    url: http://127.0.0.1:4001\nnamespaces:\n  users: { ttl: 60000 }\n')
    const { config, sources } = loadConfig({ file: path, env: { PORT: '9100', STRATA_KAFKA_BROKERS: 'a:1, b:2' } })
    expect(config).toMatchObject({ port: 9100, bus: 'kafka', kafkaBrokers: ['a:1', 'b:2'], upstreams: { demo: { url: 'http://127.0.0.1:4001' } }, namespaces: { users: { ttl: 60000 } } })
    expect(sources.port).toEqual({ kind: 'env', variable: 'PORT' })
    expect(sources.bus).toEqual({ kind: 'file', file: path })
    expect(sources.host).toEqual({ kind: 'default' })
  })

  it('reads JSON files too', () => {
    expect(loadConfig({ file: file('gateway.json', '{"l2":"memory"}'), env: {} }).config.l2).toBe('memory')
  })

  it('collects every problem with its field and source', () => {
    const path = file('bad.yaml', 'port: 99999\nbus: carrier-pigeon\nupstreams:\n  demo:\n    url: ftp://nope\ncolour: blue\n')
    const issues = issuesOf(() => loadConfig({ file: path, env: { STRATA_GATEWAY_BODY_LIMIT: 'lots' } }))
    const paths = issues.map((issue) => issue.path)
    expect(paths).toEqual(expect.arrayContaining(['/port', '/bus', '/upstreams/demo/url', '/colour', '/bodyLimit']))
    expect(issues.find((issue) => issue.path === '/colour')!.message).toContain("unknown setting 'colour'")
    expect(issues.find((issue) => issue.path === '/bodyLimit')!.source).toBe('env STRATA_GATEWAY_BODY_LIMIT')
    expect(issues.find((issue) => issue.path === '/port')!.source).toBe(`file ${path}`)
  })

  it('names the line of a YAML syntax error, and refuses an unreadable file or a non-mapping', () => {
    const syntax = issuesOf(() => loadConfig({ file: file('syntax.yaml', 'port: 1\n  bus: [unclosed\n'), env: {} }))
    expect(syntax[0]!.message).toMatch(/^YAML syntax/)
    expect(syntax[0]!.source).toMatch(/syntax\.yaml:\d+:\d+$/)
    expect(issuesOf(() => loadConfig({ file: join(dir, 'absent.yaml'), env: {} }))[0]!.message).toContain('cannot read the file')
    expect(issuesOf(() => loadConfig({ file: file('list.yaml', '- 1\n- 2\n'), env: {} }))[0]!.message).toContain('mapping')
  })

  it('refuses bad JSON in a JSON-valued variable', () => {
    const issues = issuesOf(() => loadConfig({ env: { STRATA_GATEWAY_NAMESPACES: '{nope' } }))
    expect(issues[0]).toMatchObject({ path: '/namespaces', source: 'env STRATA_GATEWAY_NAMESPACES' })
    expect(issues[0]!.message).toContain('must be JSON')
  })
})
