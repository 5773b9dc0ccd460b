import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from './codes.js'

describe('error catalogue', () => {
  it('documents every code with its status in docs/reference/errors.md, and nothing else', () => {
    const doc = readFileSync(new URL('../../../../docs/reference/errors.md', import.meta.url), 'utf8')
    const documented = new Map([...doc.matchAll(/^\| `(E_[A-Z0-9_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]))
    const catalogue = new Map(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]))
    expect(documented).toEqual(catalogue)
  })

  it('uses 4xx only for the caller and 5xx only for Strata or its dependencies', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(status >= 400 && status < 600, code).toBe(true)
    }
  })
})
