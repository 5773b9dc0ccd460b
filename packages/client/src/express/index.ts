export { strataExpressCache, type ExpressCachePolicy } from './cache-middleware.js'
export type { CachedResponse, ResponseCacheOptions } from '../response-cache/cached-response.js'
