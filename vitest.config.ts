import { readdirSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { configDefaults, defineConfig } from 'vitest/config'

// One vitest project per workspace package and service, so `vitest --project core` runs one of them.
// A root with no package yet (services/ before the first service lands) is skipped, not an error.
const workspaceDirs = ['packages', 'services'].flatMap((root) =>
  (existsSync(root) ? readdirSync(root, { withFileTypes: true }) : [])
    .filter((entry) => entry.isDirectory() && existsSync(`${root}/${entry.name}/package.json`))
    .map((entry) => ({ root, name: entry.name })),
)

// STRATA_SERVERS=containers (`pnpm test:containers`): the testkit's require* helpers start their servers through
// testcontainers; each test file stops its containers when done, and the run removes whatever a killed process left.
// `*.containers.test.ts` files test that mode itself and run only in it.
const containers = process.env.STRATA_SERVERS?.trim() === 'containers'
const testkitContainers = fileURLToPath(new URL('packages/testkit/src/containers', import.meta.url))

// docker-compose.yml's test (services/platform/test/docker) runs on its own, after the others (`pnpm test:docker`,
// STRATA_DOCKER_TESTS=1): it loads both cores for minutes, which would skew the timing-bound fault suites beside it.
const DOCKER_TESTS = 'test/docker/**'

export default defineConfig({
  test: {
    globalSetup: containers ? [`${testkitContainers}/vitest-global-setup.ts`] : [],
    projects: [
      ...workspaceDirs.map(({ root, name }) => ({
        test: {
          name,
          root: `${root}/${name}`,
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, DOCKER_TESTS, ...(containers ? [] : ['**/*.containers.test.ts'])],
          setupFiles: containers ? [`${testkitContainers}/vitest-stop-containers.ts`] : [],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      })),
      ...(process.env.STRATA_DOCKER_TESTS === '1'
        ? [{ test: { name: 'docker', root: 'services/platform', include: [`${DOCKER_TESTS}/*.test.ts`], testTimeout: 120_000, hookTimeout: 900_000, fileParallelism: false } }]
        : []),
    ],
  },
})
