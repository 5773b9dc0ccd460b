import { readdirSync, existsSync } from 'node:fs'
import { defineConfig } from 'vitest/config'

// One vitest project per workspace package and service, so `vitest --project core` runs one of them.
const workspaceDirs = ['packages', 'services'].filter((root) => existsSync(root)).flatMap((root) =>
  readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(`${root}/${entry.name}/package.json`))
    .map((entry) => ({ root, name: entry.name })),
)

export default defineConfig({
  test: {
    projects: workspaceDirs.map(({ root, name }) => ({
      test: {
        name,
        root: `${root}/${name}`,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        testTimeout: 30_000,
        hookTimeout: 60_000,
      },
    })),
  },
})
