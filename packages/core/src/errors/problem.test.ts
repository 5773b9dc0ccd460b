import { describe, expect, it } from 'vitest'
import { StrataError } from './strata-error.js'
import { toProblem } from './problem.js'

describe('toProblem', () => {
  it('keeps a Strata code and status; maps Fastify errors; hides unknown errors behind E_INTERNAL', () => {
    expect(toProblem(new StrataError('E_KEY_TOO_LONG', 'too long'), '/x')).toMatchObject({ status: 414, code: 'E_KEY_TOO_LONG', detail: 'too long', instance: '/x' })
    expect(toProblem(Object.assign(new Error('bad'), { validation: [], statusCode: 400 }), '/x')).toMatchObject({ status: 400, code: 'E_INVALID_REQUEST' })
    expect(toProblem(Object.assign(new Error('big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), '/x').code).toBe('E_BODY_TOO_LARGE')
    const internal = toProblem(new Error('secret connection string redis://user:pw@host'), '/x')
    expect(internal).toMatchObject({ status: 500, code: 'E_INTERNAL' })
    expect(internal.detail).not.toContain('redis://')
  })
})
