import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { requireRedis } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
/** What a user installs, in dependency order (each is built against the dist/ of those before it). */
const PUBLISHED = ['packages/core', 'packages/api', 'packages/client']

/** The ```js blocks of the README's "As a library" section: the samples a user copies. */
function readmeLibrarySamples(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## As a library'), readme.indexOf('\n## ', readme.indexOf('## As a library') + 3))
  return [...section.matchAll(/^```js[^\n]*\n([\s\S]*?)^```$/gm)].map((match) => match[1]!)
}

// Issue #23, acceptance 1: the libraries as a user gets them — built, packed, installed by npm into a project outside
// the workspace — imported by plain node (no tsx, no workspace links) and run against the real Redis.
describe('the published packages, installed like a user', () => {
  let project: string
  let redisUrl: string

  beforeAll(async () => {
    redisUrl = await requireRedis()
    project = mkdtempSync(join(tmpdir(), 'strata-user-'))
    const tarballs = join(project, 'tarballs')
    for (const dir of PUBLISHED) {
      await run('pnpm', ['run', 'build'], { cwd: join(root, dir) })
      await run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(root, dir) })
    }
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'strata-user', private: true, type: 'module' }))
    const packed = readdirSync(tarballs).map((file) => join(tarballs, file))
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packed, 'ioredis@^5', 'keyv@^5', 'memcached@^2', 'typescript@~5.9', '@types/node@^20', '@types/memcached@^2'], { cwd: project })
  }, 600_000)

  afterAll(() => {
    if (project !== undefined) rmSync(project, { recursive: true, force: true })
  })

  it('ships built ESM with types and source maps, and no sources or tests', () => {
    for (const name of ['core', 'api', 'client']) {
      const manifest = JSON.parse(readFileSync(join(project, 'node_modules', '@strata', name, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; import: string }> }
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        expect(target.import, `${name}${subpath}`).toMatch(/^\.\/dist\/.*\.js$/)
        expect(target.types, `${name}${subpath}`).toMatch(/^\.\/dist\/.*\.d\.ts$/)
      }
      const files = readdirSync(join(project, 'node_modules', '@strata', name), { recursive: true }).map(String)
      expect(files.some((file) => file.endsWith('.js.map'))).toBe(true)
      expect(files.filter((file) => file.startsWith('src') || file.endsWith('.test.js'))).toEqual([])
    }
  })

  it("runs the README's library samples with plain node against Redis", async () => {
    const samples = readmeLibrarySamples()
    expect(samples).toHaveLength(2)
    const outputs: string[] = []
    for (const [i, code] of samples.entries()) {
      const file = join(project, `readme-${i}.mjs`)
      writeFileSync(file, code)
      const { stdout } = await run(process.execPath, [file], { cwd: project, env: { ...process.env, STRATA_REDIS_URL: redisUrl }, timeout: 60_000 })
      outputs.push(stdout)
    }
    expect(outputs[0]).toContain("name: 'Ada'")
    expect(outputs[1]).toContain("text: 'hello'")
  })

  it('type-checks a TypeScript consumer against the shipped declarations', async () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      [
        "import { createCache, type StrataCache } from '@strata/core'",
        "import { memcachedStore } from '@strata/core/memcached'",
        "import { StrataClient } from '@strata/client'",
        "import { StrataKeyvStore } from '@strata/client/keyv'",
        'const cache: StrataCache = createCache({})',
        "const users = cache.namespace<{ name: string }>('users', { ttl: 1000 })",
        "export const name: Promise<string> = users.getOrSet('1', async () => ({ name: 'Ada' })).then((user) => user.name)",
        'export const store = new StrataKeyvStore({ cache })',
        "export const client = new StrataClient({ baseUrl: 'http://127.0.0.1:1' })",
        'export const l2 = memcachedStore',
        '// @ts-expect-error: a namespace has no such method, and the shipped types say so',
        'users.noSuchMethod()',
      ].join('\n'),
    )
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['consumer.ts'] }))
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc')
    await expect(run(process.execPath, [tsc, '-p', project], { cwd: project })).resolves.toBeDefined()
  }, 120_000)
})
