import { describe, expect, it } from 'vitest'
import { checkPrintedOutput } from './output-check.js'

const printed = `> strata@0.1.0 start
Strata is running (embedded)

  gateway      http://127.0.0.1:41234
  alerting     http://127.0.0.1:41236
  admin key    sk_abc123_secret
`

describe('checkPrintedOutput', () => {
  it('accepts a copy whose lines appear in order, ports and `...` aside', () => {
    expect(checkPrintedOutput('Strata is running (embedded)\n\n  gateway http://127.0.0.1:8080\n  admin key    sk_abc..._...\n', printed)).toBeUndefined()
  })

  it('names a line the command did not print (drift)', () => {
    expect(checkPrintedOutput('  alerting     http://127.0.0.1:8095   (rules: POST /rules)\n', printed)).toMatch(/the doc shows "alerting .*\(rules: POST \/rules\)"/)
  })

  it('refuses lines in another order than printed', () => {
    expect(checkPrintedOutput('  alerting http://127.0.0.1:1\n  gateway http://127.0.0.1:1\n', printed)).toMatch(/gateway .* after the lines before it/)
  })

  it('treats regex characters in the copy literally', () => {
    expect(checkPrintedOutput('Strata is running (.*)', printed)).toBeDefined()
  })
})
