export { strataRouteCache, type RouteCachePolicy } from './route-cache-plugin.js'
export type { CachedResponse, ResponseCacheOptions } from '../response-cache/cached-response.js'
