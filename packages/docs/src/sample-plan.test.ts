import { describe, expect, it } from 'vitest'
import { parseInfoString, type CodeBlock } from './code-blocks.js'
import { planSamples } from './sample-plan.js'

const block = (info: string, line = 1): CodeBlock => ({ ...parseInfoString(info), info, code: 'x', line })

describe('planSamples', () => {
  it('maps each language to what the harness does with it', () => {
    const { samples, issues } = planSamples([
      block('sh'),
      block('bash stack=infra'),
      block('sh background ready=started'),
      block('sh skip=destructive'),
      block('ts'),
      block('js stack=infra'),
      block('yaml kind=invalidator-rules'),
      block('json kind=namespace-spec'),
      block('text'),
      block('mermaid'),
      block('http-response'),
      block('json output'),
      block('sh output'),
      block('sh stack=docker'),
      block('text check'),
    ])
    expect(issues).toEqual([])
    expect(samples.map((sample) => sample.kind)).toEqual(['shell', 'shell', 'shell', 'shell', 'program', 'program', 'config', 'config', 'output', 'output', 'output', 'output', 'output', 'docker', 'check'])
    expect(samples[1]).toMatchObject({ infra: true })
    expect(samples[2]).toMatchObject({ background: { ready: 'started' } })
    expect(samples[3]).toMatchObject({ destructive: true })
    expect(samples[6]).toMatchObject({ loader: 'invalidator-rules', format: 'yaml' })
  })

  it.each([
    ['', /needs a language/],
    ['console', /unknown language 'console'/],
    ['python', /unknown language/],
    ['sh color=red', /unknown attribute color/],
    ['ts background ready=x', /unknown attribute background, ready/],
    ['yaml', /kind=/],
    ['json kind=nginx', /no such loader/],
    ['sh skip=slow', /only skip=destructive/],
    ['sh background', /go together/],
    ['sh ready=x', /go together/],
    ['sh stack=cloud', /stack=embedded.*stack=infra/],
    ['text kind=warmer-plan', /output is not run/],
    ['ts stack=docker', /stack=docker is for sh blocks/],
    ['text check=loose', /check takes no value/],
    ['sh stack=docker background ready=x', /run in order in one shell/],
  ])('refuses ```%s', (info, message) => {
    const { samples, issues } = planSamples([block(info, 7)])
    expect(samples).toEqual([])
    expect(issues).toHaveLength(1)
    expect(issues[0]!.line).toBe(7)
    expect(issues[0]!.message).toMatch(message)
  })
})
