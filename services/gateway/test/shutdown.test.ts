import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ScriptedOrigin, startGateway } from './support/harness.js'

describe('graceful shutdown', () => {
  let origin: ScriptedOrigin
  beforeAll(async () => {
    origin = await new ScriptedOrigin().start()
    origin.on('/slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 300))
      return { headers: { 'cache-control': 'max-age=60' }, body: 'done' }
    })
  })
  afterAll(async () => origin.stop())

  it('close() lets an in-flight request finish, then refuses new connections', async () => {
    const gw = await startGateway({ l2: 'memory', upstreams: { up: { url: origin.url } } })
    const address = await gw.app.listen({ port: 0, host: '127.0.0.1' })
    const inFlight = fetch(`${address}/proxy/up/slow`)
    while (origin.hitsOf('/slow') === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    const closing = gw.stop()
    const answer = await inFlight
    expect(answer.status, await answer.clone().text()).toBe(200)
    expect(await answer.text()).toBe('done')
    await closing
    await expect(fetch(`${address}/health/live`)).rejects.toThrow()
  })
})
