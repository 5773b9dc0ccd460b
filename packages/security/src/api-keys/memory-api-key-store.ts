import { StrataError } from '@strata/core'
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.js'

/** In-process key store: the embedded default and tests. Keys vanish with the process. */
export class MemoryApiKeyStore implements ApiKeyStore {
  private readonly records = new Map<string, ApiKeyRecord>()

  insert(record: ApiKeyRecord): Promise<void> {
    if (this.records.has(record.id)) return Promise.reject(new StrataError('E_INVALID_OPTION', `API key id ${record.id} exists`))
    this.records.set(record.id, structuredClone(record))
    return Promise.resolve()
  }

  get(id: string): Promise<ApiKeyRecord | undefined> {
    const record = this.records.get(id)
    return Promise.resolve(record === undefined ? undefined : structuredClone(record))
  }

  list(): Promise<ApiKeyRecord[]> {
    return Promise.resolve([...this.records.values()].map((r) => structuredClone(r)).sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id)))
  }

  revoke(id: string, at: number): Promise<boolean> {
    const record = this.records.get(id)
    if (record === undefined) return Promise.resolve(false)
    record.revokedAt ??= at
    return Promise.resolve(true)
  }

  replaceHash(id: string, previous: string, next: string): Promise<boolean> {
    const record = this.records.get(id)
    if (record?.hash !== previous) return Promise.resolve(false)
    record.hash = next
    return Promise.resolve(true)
  }
}
