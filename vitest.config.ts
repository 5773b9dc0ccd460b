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

export default defineConfig({
  test: {
    globalSetup: containers ? [`${testkitContainers}/vitest-global-setup.ts`] : [],
    projects: workspaceDirs.map(({ root, name }) => ({
      test: {
        name,
        root: `${root}/${name}`,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        exclude: containers ? configDefaults.exclude : [...configDefaults.exclude, '**/*.containers.test.ts'],
        setupFiles: containers ? [`${testkitContainers}/vitest-stop-containers.ts`] : [],
        testTimeout: 30_000,
        hookTimeout: 60_000,
      },
    })),
  },
})
