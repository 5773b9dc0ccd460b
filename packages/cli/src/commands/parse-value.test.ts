import { describe, expect, it } from 'vitest'
import { CliFailure } from '../cli-io.js'
import { parseValue } from './gateway-commands.js'

describe('strata keys set <value>', () => {
  it('reads JSON, and a bare word as its string', () => {
    expect(parseValue('{"name":"Ada"}')).toEqual({ name: 'Ada' })
    expect(parseValue('42')).toBe(42)
    expect(parseValue('plain-word')).toBe('plain-word')
    expect(parseValue('user:42')).toBe('user:42')
  })

  it('refuses malformed JSON instead of storing it as a string, and names --raw', () => {
    for (const raw of ['{"name": "Ada"', '[1, 2', 'two words']) {
      expect(() => parseValue(raw)).toThrow(CliFailure)
      expect(() => parseValue(raw)).toThrow(/not valid JSON.*--raw/)
    }
  })
})
