import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'

const gatewayMain = fileURLToPath(new URL('../../services/gateway/src/main.ts', import.meta.url))

/**
 * The gateway's production entry (main.ts) for a bench: `workers` processes on `port` (one: no cluster), auth off,
 * logs at warn (the peers log nothing either), L2 on the Redis at `redisUrl` under a fresh prefix. Stop it with
 * stopChild (SIGTERM drains every worker).
 */
export function startGatewayMain(options: { workers: number; port: number; redisUrl: string; env?: Record<string, string> }): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', gatewayMain], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      STRATA_GATEWAY_HOST: '127.0.0.1',
      STRATA_GATEWAY_PORT: String(options.port),
      STRATA_GATEWAY_WORKERS: String(options.workers),
      STRATA_GATEWAY_AUTH: 'off',
      STRATA_GATEWAY_DRAIN_DELAY_MS: '0',
      STRATA_LOG_LEVEL: 'warn',
      STRATA_L2: 'redis',
      STRATA_REDIS_URL: options.redisUrl,
      STRATA_QUEUE_REDIS_URL: options.redisUrl,
      STRATA_PREFIX: `bench-${options.workers}-${Date.now().toString(36)}`,
      ...options.env,
    },
  })
}

/** GETs on fresh connections until `count` distinct workers (x-strata-worker) answered 200; one process: any 200. */
export async function waitForWorkers(url: string, count: number): Promise<void> {
  const seen = new Set<string>()
  for (let i = 0; i < 1_800 && seen.size < count; i++) {
    const answer = await new Promise<{ status: number; worker: string } | undefined>((resolve) => {
      const outgoing = request(url, { agent: false }, (response) => {
        response.resume()
        response.on('end', () => resolve({ status: response.statusCode!, worker: String(response.headers['x-strata-worker'] ?? 'single') }))
      })
      outgoing.on('error', () => resolve(undefined))
      outgoing.end()
    })
    if (answer?.status === 200) seen.add(answer.worker)
    else await new Promise((resolve) => setTimeout(resolve, 100))
  }
  if (seen.size < count) throw new Error(`${url}: ${seen.size} of ${count} workers answered within 3 min`)
}
