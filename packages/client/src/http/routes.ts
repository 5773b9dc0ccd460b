/**
 * Every gateway route the SDK calls, as the OpenAPI document names it (method + path template). The client builds
 * its requests from this table, and a test checks each entry against the gateway's /docs/json, so the SDK cannot
 * drift from the API without a failing test.
 */
export const ROUTES = {
  getKey: { method: 'GET', path: '/v1/namespaces/{ns}/keys/{key}' },
  setKey: { method: 'PUT', path: '/v1/namespaces/{ns}/keys/{key}' },
  deleteKey: { method: 'DELETE', path: '/v1/namespaces/{ns}/keys/{key}' },
  getMany: { method: 'POST', path: '/v1/namespaces/{ns}/keys:batchGet' },
  setMany: { method: 'POST', path: '/v1/namespaces/{ns}/keys:batchSet' },
  invalidate: { method: 'POST', path: '/v1/namespaces/{ns}/invalidations' },
  listEntries: { method: 'GET', path: '/v1/namespaces/{ns}/entries' },
  inspectEntry: { method: 'GET', path: '/v1/namespaces/{ns}/entries/{key}' },
  listNamespaces: { method: 'GET', path: '/v1/admin/namespaces' },
  getNamespace: { method: 'GET', path: '/v1/admin/namespaces/{ns}' },
  putNamespace: { method: 'PUT', path: '/v1/admin/namespaces/{ns}' },
  deleteNamespace: { method: 'DELETE', path: '/v1/admin/namespaces/{ns}' },
  purge: { method: 'POST', path: '/v1/proxy/purge' },
  publishEvent: { method: 'POST', path: '/v1/events' },
  live: { method: 'GET', path: '/health/live' },
  ready: { method: 'GET', path: '/health/ready' },
  metrics: { method: 'GET', path: '/metrics' },
} as const satisfies Record<string, { method: HttpMethod; path: string }>

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE'
export type RouteName = keyof typeof ROUTES

/** The path of `route` with its {params} URL-encoded. */
export function pathOf(route: RouteName, params: Record<string, string> = {}): string {
  return ROUTES[route].path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = params[name]
    if (value === undefined) throw new TypeError(`Route ${route} needs the parameter '${name}'`)
    return encodeURIComponent(value)
  })
}
