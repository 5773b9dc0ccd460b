import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { apiDocumentFiles } from '../src/docs/api-documents.js'

const reference = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'reference')

describe('published API documents (docs/reference)', () => {
  it('openapi.json and asyncapi.json are what `pnpm docs:api` generates now (run it after changing a route or an event schema)', async () => {
    for (const [name, text] of Object.entries(await apiDocumentFiles())) {
      const published = readFileSync(join(reference, name), 'utf8')
      expect(published === text, `docs/reference/${name} is stale: run pnpm docs:api`).toBe(true)
    }
  })
})
