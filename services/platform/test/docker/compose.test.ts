import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extractCodeBlocks, planSamples } from '@strata/docs'
import { freePort, uniqueName, waitUntil } from '@strata/testkit'

// Issue 23, acceptance 2 and 4: the README's "With Docker" blocks, run as written against docker-compose.yml (MISS →
// HIT → a domain event on Kafka → MISS), then the trace of that request read back from the tracing backend and a
// dashboard's query answered by Prometheus, then `down`. The images are what the STRATA_*_IMAGE variables name:
// infra/docker/test-docker.sh (`pnpm test:docker`, the only way this project runs) sets them to local builds unless
// STRATA_IMAGES=official. Run by `pnpm test:docker`, which `pnpm test` calls after the other suites.
const root = join(import.meta.dirname, '..', '..', '..', '..')
const hasDocker = spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0
// Compose v2 (the docker plugin) where it is installed, else v1's docker-compose (Debian 12 has only v1).
const compose: [string, ...string[]] = hasDocker && spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0 ? ['docker', 'compose'] : ['docker-compose']
if (!hasDocker && process.env.CI === 'true') throw new Error('CI runs the compose test: docker is not available (`docker info` failed); .ci/run starts dockerd')

describe.skipIf(!hasDocker)('docker-compose.yml: the README walk-through, traces and Prometheus', () => {
  const project = uniqueName('strata-compose').toLowerCase().replace(/[^a-z0-9]/g, '')
  const env: NodeJS.ProcessEnv = { ...process.env, COMPOSE_PROJECT_NAME: project, COMPOSE_PROFILES: '', STRATA_TRACES_EXPORTER: 'zipkin' }
  const blocks = dockerBlocks()
  const downAt = blocks.findIndex((code) => /compose down/.test(code))

  beforeAll(async () => {
    // Ports of their own: the loopback servers of `pnpm infra:up` and other runs keep theirs.
    for (const name of ['HTTP', 'ANALYTICS', 'ALERTING', 'TRACING', 'PROMETHEUS', 'GRAFANA']) env[`STRATA_${name}_PORT`] = String(await freePort())
  })

  afterAll(() => {
    spawnSync(compose[0], [...compose.slice(1), 'down', '-v', '--remove-orphans', '--timeout', '5'], { cwd: root, env, stdio: 'ignore' })
  }, 120_000)

  it("runs the README's blocks up to `down`: up, the admin key, MISS → HIT → a domain event on Kafka → MISS", () => {
    expect(downAt).toBeGreaterThan(0)
    const walkThrough = shell(blocks.slice(0, downAt).join('\n'), 600_000)
    expect(walkThrough.status, walkThrough.output).toBe(0)
    expect(walkThrough.output).toMatch(/x-cache: MISS[\s\S]*x-cache: HIT[\s\S]*published product\.updated/i)
  }, 1_000_000)

  it('the gateway traced the walk-through request into the tracing backend', async () => {
    const tracing = containerAddress('tracing')
    let paths: string[] = []
    await waitUntil(async () => {
      paths = await tracedPaths(tracing)
      return paths.some((path) => path.includes('/proxy/demo/products/42'))
    }, 60_000).catch(() => undefined)
    expect(paths).toContain('/proxy/demo/products/42')
  }, 90_000)

  it("Prometheus scrapes every service with its credentials and answers the dashboard's cache query", async () => {
    const prometheus = `http://${containerAddress('prometheus')}:9090`
    const dashboard = readFileSync(join(root, 'infra/grafana/dashboards/strata-overview.json'), 'utf8')
    const query = 'sum by (tier, result) (rate(strata_cache_requests_total[5m]))'
    expect(dashboard).toContain(JSON.stringify(query).slice(1, -1))
    let up: { metric: { service?: string }; value: [number, string] }[] = []
    let answer: unknown[] = []
    await waitUntil(async () => {
      up = await promQuery(prometheus, 'up{job="strata"}')
      answer = await promQuery(prometheus, query)
      return up.length === 8 && up.every((series) => series.value[1] === '1') && answer.length > 0
    }, 90_000).catch(() => undefined)
    expect(up.filter((series) => series.value[1] === '1').map((series) => series.metric.service).sort()).toEqual(['alerting', 'analytics', 'cdc', 'gateway', 'gateway', 'invalidator', 'warmer', 'write-behind'])
    expect(answer.length).toBeGreaterThan(0)
  }, 120_000)

  it('down (the README block) removes every container of the project', () => {
    const down = shell(blocks.slice(downAt).join('\n'), 180_000)
    expect(down.status, down.output).toBe(0)
    expect(execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], { encoding: 'utf8' }).trim()).toBe('')
  }, 200_000)

  /** Runs README code in bash at the repo root; `docker compose` goes to docker-compose where there is no v2 plugin. */
  function shell(code: string, timeout: number): { status: number | null; output: string } {
    const prelude = `set -euo pipefail
if ! docker compose version >/dev/null 2>&1; then docker() { if [ "$1" = compose ]; then shift; command docker-compose "$@"; else command docker "$@"; fi; }; fi
`
    const run = spawnSync('bash', ['-c', prelude + code], { cwd: root, env, encoding: 'utf8', timeout })
    return { status: run.status, output: `${run.stdout}${run.stderr}${run.error === undefined ? '' : String(run.error)}` }
  }

  function containerAddress(service: string): string {
    const id = execFileSync(compose[0], [...compose.slice(1), 'ps', '-q', service], { cwd: root, env, encoding: 'utf8' }).trim()
    return execFileSync('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', id], { encoding: 'utf8' }).trim()
  }
})

/** The README's stack=docker blocks, in order, through the docs harness's own parser. */
function dockerBlocks(): string[] {
  const { samples } = planSamples(extractCodeBlocks(readFileSync(join(root, 'README.md'), 'utf8')))
  return samples.flatMap((sample) => (sample.kind === 'docker' ? [sample.block.code] : []))
}

/** Request paths of the gateway's server spans, from Zipkin's API (CI's stand-in) or Jaeger's (the official image). */
async function tracedPaths(host: string): Promise<string[]> {
  const zipkin = await fetch(`http://${host}:9411/api/v2/traces?serviceName=strata-gateway&limit=200&lookback=3600000`).catch(() => undefined)
  if (zipkin?.ok) {
    const traces = (await zipkin.json()) as { kind?: string; tags?: Record<string, string> }[][]
    return traces.flat().flatMap((span) => (span.kind === 'SERVER' ? [span.tags?.['http.target'] ?? span.tags?.['url.path'] ?? ''] : []))
  }
  const jaeger = await fetch(`http://${host}:16686/api/traces?service=strata-gateway&limit=200&lookback=1h`)
  const { data } = (await jaeger.json()) as { data: { spans: { tags: { key: string; value: unknown }[] }[] }[] }
  return data.flatMap((trace) => trace.spans.flatMap((span) => span.tags.filter((tag) => tag.key === 'http.target' || tag.key === 'url.path').map((tag) => String(tag.value))))
}

async function promQuery(base: string, query: string): Promise<{ metric: { service?: string }; value: [number, string] }[]> {
  const answer = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`).catch(() => undefined)
  if (answer?.ok !== true) return []
  return ((await answer.json()) as { data: { result: { metric: { service?: string }; value: [number, string] }[] } }).data.result
}
