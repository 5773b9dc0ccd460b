import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildAsyncApiDocument } from '@strata/bus'
import { buildOpenApiDocument } from '@strata/gateway'
import { TOPIC_USES } from './topic-uses.js'

/** The published API documents, by file name under docs/reference/, as the text written there. */
export async function apiDocumentFiles(): Promise<Record<string, string>> {
  return {
    'openapi.json': `${JSON.stringify(await buildOpenApiDocument(), null, 2)}\n`,
    'asyncapi.json': `${JSON.stringify(buildAsyncApiDocument(TOPIC_USES), null, 2)}\n`,
  }
}

export async function writeApiDocuments(directory: string): Promise<string[]> {
  const files = await apiDocumentFiles()
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text)
  return Object.keys(files).map((name) => join(directory, name))
}
