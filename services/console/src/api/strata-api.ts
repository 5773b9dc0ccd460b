import { HttpClient, seg } from './http-client.js'
import type * as Api from './types.js'

export interface AuditFilter {
  actor?: string
  action?: string
  outcome?: string
  since?: number
  until?: number
  limit?: number
}

/** The gateway's public API as the console uses it; one instance per signed-in key. */
export class GatewayApi {
  private readonly http: HttpClient

  constructor(baseUrl: string, apiKey: string) {
    this.http = new HttpClient(baseUrl, apiKey)
  }

  stats = () => this.http.request<Api.StatsSnapshot>('/v1/stats')
  namespaces = async () => (await this.http.request<{ namespaces: Api.NamespaceView[] }>('/v1/admin/namespaces')).namespaces
  namespace = (name: string) => this.http.request<Api.NamespaceView>(`/v1/admin/namespaces/${seg(name)}`)
  putNamespace = (name: string, policy: Api.NamespacePolicy) => this.http.request<Api.NamespaceView>(`/v1/admin/namespaces/${seg(name)}`, { method: 'PUT', body: policy })
  deleteNamespace = (name: string) => this.http.request<undefined>(`/v1/admin/namespaces/${seg(name)}`, { method: 'DELETE' })

  entries = (namespace: string, filter: { prefix?: string; tag?: string; limit?: number; cursor?: string }) =>
    this.http.request<{ entries: Api.EntryInfo[]; cursor: string | null }>(`/v1/namespaces/${seg(namespace)}/entries`, { query: filter })
  entry = (namespace: string, key: string) => this.http.request<Api.EntryInfo>(`/v1/namespaces/${seg(namespace)}/entries/${seg(key)}`)
  /** The value itself (GET on the KV API: decoded, decrypted for a key allowed to read it). */
  value = (namespace: string, key: string) => this.http.request<unknown>(`/v1/namespaces/${seg(namespace)}/keys/${seg(key)}`)
  /** Writes the value back with a new ttl and the same tags, only if the entry is still at `version` (If-Match). */
  setTtl = (namespace: string, key: string, change: { value: unknown; ttl: number; tags: readonly string[]; version: number }) =>
    this.http.request<{ version: number; expiresAt: number }>(`/v1/namespaces/${seg(namespace)}/keys/${seg(key)}`, {
      method: 'PUT',
      body: { value: change.value, ttl: change.ttl, ...(change.tags.length === 0 ? {} : { tags: change.tags }) },
      headers: { 'if-match': `"${change.version}"` },
    })
  deleteKey = (namespace: string, key: string) => this.http.request<undefined>(`/v1/namespaces/${seg(namespace)}/keys/${seg(key)}`, { method: 'DELETE' })

  dryRun = (namespace: string, request: Api.InvalidationTargets) =>
    this.http.request<{ dryRun: true; namespace: string; counts: Api.DryRunCounts }>(`/v1/namespaces/${seg(namespace)}/invalidations`, { method: 'POST', body: { ...request, dryRun: true } })
  invalidate = (namespace: string, request: Api.InvalidationTargets) =>
    this.http.request<Record<string, unknown>>(`/v1/namespaces/${seg(namespace)}/invalidations`, { method: 'POST', body: request })
  invalidations = async (filter: { namespace?: string; limit?: number }) =>
    (await this.http.request<{ invalidations: Api.InvalidationRecord[] }>('/v1/invalidations', { query: filter })).invalidations

  keys = async () => (await this.http.request<{ keys: Api.ApiKeyView[] }>('/v1/admin/keys')).keys
  createKey = (body: { name: string; grants: Array<{ namespace: string; scopes: string[] }> }) =>
    this.http.request<{ token: string; key: Api.ApiKeyView }>('/v1/admin/keys', { method: 'POST', body })
  audit = async (filter: AuditFilter) => (await this.http.request<{ records: Api.AuditRecordView[] }>('/v1/admin/audit', { query: { ...filter } })).records
}

/** The alerting service's API (config.json's services.alerting), same key. */
export class AlertingApi {
  private readonly http: HttpClient

  constructor(baseUrl: string, apiKey: string) {
    this.http = new HttpClient(baseUrl, apiKey)
  }

  rules = async () => (await this.http.request<{ rules: Api.AlertRule[] }>('/rules')).rules
  alerts = async () => (await this.http.request<{ alerts: Api.AlertView[] }>('/alerts')).alerts
  silences = async () => (await this.http.request<{ silences: Api.Silence[] }>('/silences')).silences
  silence = (body: { matchers: Record<string, string>; duration: string; comment: string; createdBy: string }) =>
    this.http.request<Api.Silence>('/silences', { method: 'POST', body })
  expireSilence = (id: string) => this.http.request<undefined>(`/silences/${seg(id)}`, { method: 'DELETE' })
  deliveries = async () => (await this.http.request<{ deliveries: Api.DeliveryRecord[] }>('/deliveries', { query: { limit: 50 } })).deliveries
}

/** The analytics service's report and series API (config.json's services.analytics), same key. */
export class AnalyticsApi {
  private readonly http: HttpClient

  constructor(readonly baseUrl: string, apiKey: string) {
    this.http = new HttpClient(baseUrl, apiKey)
  }

  report = (query: { window?: string; granularity?: string; namespace?: string }) => this.http.request<Api.AnalyticsReport>('/v1/report', { query })
  /** The rollups bucket by bucket, of every namespace or of one (the Overview's history). */
  series = (query: { window: string; granularity: string; namespace?: string }) => this.http.request<Api.SeriesReport>('/v1/series', { query })
}

/** config.json is public and served beside the SPA; a gateway without it still gets a usable console. */
export async function loadConfig(): Promise<Api.ConsoleConfig> {
  try {
    const response = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: 'no-store' })
    if (response.ok) return (await response.json()) as Api.ConsoleConfig
  } catch {
    // fall through: the gateway's own APIs still work.
  }
  return { mode: 'gateway', version: 'unknown', services: {} }
}
