import { ReplyError } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { isStrataError } from '../../errors/index.js'
import { isRedisUnavailable, toStrataError } from './redis-errors.js'

/** An error as ioredis raises it: a class name, and for socket failures a Node error code. */
function ioredisError(name: string, message: string, code?: string): Error {
  const error = new Error(message)
  error.name = name
  if (code !== undefined) Object.assign(error, { code })
  return error
}

describe('Redis errors during a failover or restart', () => {
  const outages: [string, Error][] = [
    ['a demoted primary (READONLY)', new ReplyError("READONLY You can't write against a read only replica.")],
    ['a script writing on a demoted primary', new ReplyError("READONLY You can't write against a read only replica. script: 23afd438, on @user_script:22.")],
    ['a replica loading its dataset', new ReplyError('LOADING Redis is loading the dataset in memory')],
    ['a primary that lost its replicas (min-replicas-to-write)', new ReplyError('NOREPLICAS Not enough good replicas to write.')],
    ['Sentinel without a primary', new ReplyError('MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no')],
    ['a cluster slot moving', new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot')],
    ['retries exhausted', ioredisError('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 2). Refer to "maxRetriesPerRequest" option for details.')],
    ['the connection closed under a command', new Error('Connection is closed.')],
    ['offline queue off while reconnecting', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ['a command timeout', new Error('Command timed out')],
    ['a socket timeout', ioredisError('Error', 'connect ETIMEDOUT', 'ETIMEDOUT')],
    ['a reset socket', ioredisError('Error', 'read ECONNRESET', 'ECONNRESET')],
    ['every sentinel down', new Error('All sentinels are unreachable. Retrying from scratch after 10ms.')],
  ]

  for (const [what, error] of outages) {
    it(`types ${what} as E_L2_UNAVAILABLE (503), keeping the cause`, () => {
      expect(isRedisUnavailable(error)).toBe(true)
      const typed = toStrataError(error, 'redis')
      expect(isStrataError(typed, 'E_L2_UNAVAILABLE')).toBe(true)
      expect((typed as Error).cause).toBe(error)
    })
  }

  it('sees an outage through a cluster error that carries the last node error', () => {
    const error = Object.assign(ioredisError('ClusterError', 'Too many redirections'), { lastNodeError: new ReplyError('CLUSTERDOWN The cluster is down') })
    expect(isRedisUnavailable(error)).toBe(true)
  })

  it('passes bugs and bad data through untouched (they stay 500s)', () => {
    for (const error of [
      new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'),
      new ReplyError("ERR Error running script (call to f_0): @user_script:1: user_script:1: attempt to compare nil with number"),
      new ReplyError('NOSCRIPT No matching script. Please use EVAL.'),
      new TypeError('Cannot read properties of undefined'),
    ]) {
      expect(isRedisUnavailable(error), error.message).toBe(false)
      expect(toStrataError(error, 'redis')).toBe(error)
    }
    expect(isRedisUnavailable('READONLY')).toBe(false)
  })
})
