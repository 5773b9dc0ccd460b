import type { FastifyInstance } from 'fastify'
import { StrataError } from '@strata/core'

/**
 * True when `text` (JSON) nests arrays and objects deeper than `maxDepth`. One pass over the characters, skipping
 * strings, before JSON.parse: a body of 10,000 `[` parses, but then blows the stack of whatever walks it (schema
 * validation, the codec's stringify) as a 500 RangeError. A body shorter than the limit cannot exceed it.
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  if (text.length <= maxDepth) return false
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}

/**
 * `application/json` bodies through Fastify's own parser (prototype-poisoning checks included) after the depth check;
 * the only body type a service accepts unless a route adds its own (the proxy takes any).
 */
export function parseJsonBodies(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonNestsDeeperThan(body as string, maxDepth)) {
      done(new StrataError('E_JSON_TOO_DEEP', `The JSON body nests arrays and objects more than ${maxDepth} levels deep`, { context: { maxDepth } }), undefined)
      return
    }
    void parse(request, body as string, done)
  })
}
