import { afterEach, describe, expect, it } from 'vitest'
import { serversFromContainers } from './servers-mode.js'

describe('STRATA_SERVERS', () => {
  const configured = process.env.STRATA_SERVERS
  afterEach(() => {
    if (configured === undefined) delete process.env.STRATA_SERVERS
    else process.env.STRATA_SERVERS = configured
  })

  it('uses the STRATA_* addresses when unset, empty or "infra", and containers when "containers"', () => {
    delete process.env.STRATA_SERVERS
    expect(serversFromContainers()).toBe(false)
    for (const [value, containers] of [['', false], ['infra', false], [' containers ', true]] as const) {
      process.env.STRATA_SERVERS = value
      expect(serversFromContainers()).toBe(containers)
    }
  })

  it('names the allowed values when the variable holds another', () => {
    process.env.STRATA_SERVERS = 'docker'
    expect(() => serversFromContainers()).toThrow(/STRATA_SERVERS=docker .*"containers".*"infra"/)
  })
})
