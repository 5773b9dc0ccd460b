import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeApiDocuments } from './api-documents.js'

// `pnpm docs:api`: regenerates docs/reference/openapi.json and asyncapi.json; test/api-docs.test.ts fails when stale.
const reference = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'docs', 'reference')
for (const file of await writeApiDocuments(reference)) console.log(`wrote ${file}`)
