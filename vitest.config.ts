import { readdirSync, existsSync } from 'node:fs'
import { defineConfig } from 'vitest/config'

// One vitest project per workspace package and service, so `vitest --project core` runs one of them.
// A root with no package yet (services/ before the first service lands) is skipped, not an error.
const workspaceDirs = ['packages', 'services'].flatMap((root) =>
  (existsSync(root) ? readdirSync(root, { withFileTypes: true }) : [])
    .filter((entry) => entry.isDirectory() && existsSync(`${root}/${entry.name}/package.json`))
    .map((entry) => ({ root, name: entry.name })),
)

// Suites that start containers (docker-compose.yml) run on their own, after the others (`pnpm test:docker`): they
// load both cores for minutes, which would skew the timing-bound fault suites running beside them.
const DOCKER_TESTS = 'test/docker/**'

export default defineConfig({
  test: {
    projects: [
      ...workspaceDirs.map(({ root, name }) => ({
        test: {
          name,
          root: `${root}/${name}`,
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', DOCKER_TESTS],
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
