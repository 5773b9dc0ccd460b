import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { startGateway, type TestGateway } from './support/harness.js'
import { TestAuth } from './support/auth.js'

/** The gateway's HTTPS listener, with a self-signed certificate made for this test by openssl. */
describe('HTTPS listener', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-tls-'))
  const auth = new TestAuth()
  let gw: TestGateway
  let cert: Buffer
  let port = 0

  beforeAll(async () => {
    await requireRedis()
    const keyFile = join(dir, 'key.pem')
    const certFile = join(dir, 'cert.pem')
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', keyFile, '-out', certFile, '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ], { stdio: 'ignore' })
    cert = readFileSync(certFile)
    gw = await startGateway({ auth: auth.auth, https: { key: readFileSync(keyFile), cert, minVersion: 'TLSv1.2' }, namespaces: { tls: { ttl: 60_000 } } })
    await gw.app.listen({ port: 0, host: '127.0.0.1' })
    port = (gw.app.server.address() as { port: number }).port
  })
  afterAll(async () => {
    await gw.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  function get(path: string, options: { ca?: Buffer; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; protocol: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path, method: 'GET', ...(options.ca === undefined ? {} : { ca: options.ca }), headers: options.headers ?? {} }, (res) => {
        let body = ''
        const protocol = (res.socket as { getProtocol?: () => string | null }).getProtocol?.() ?? ''
        res.on('data', (chunk: Buffer) => (body += chunk.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, protocol }))
      })
      req.on('error', reject)
      req.end()
    })
  }

  it('serves the API over TLS to a client that trusts the certificate, with auth as over HTTP', async () => {
    const live = await get('/health/live', { ca: cert })
    expect(live.status).toBe(200)
    expect(live.protocol).toMatch(/^TLSv1\.[23]$/)
    expect((await get('/v1/namespaces/tls/keys/x', { ca: cert })).status).toBe(401)
    expect((await get('/v1/namespaces/tls/keys/x', { ca: cert, headers: { 'x-api-key': await auth.admin() } })).status).toBe(404)
  })

  it('is refused by a client that does not trust the certificate, and does not answer plain HTTP', async () => {
    await expect(get('/health/live')).rejects.toThrow(/self[- ]signed|certificate/i)
    const plain = await fetch(`http://127.0.0.1:${port}/health/live`).then((r) => r.status).catch(() => 'refused')
    expect(plain).not.toBe(200)
  })
})
