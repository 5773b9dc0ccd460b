import type { NextFunction, Request, RequestHandler, Response } from 'express'
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_RESPONSE_TTL_MS,
  bodyOf,
  isCacheableRequest,
  responseNamespace,
  tagsFor,
  toCachedResponse,
  type ResponseCacheOptions,
  type ResponseCachePolicy,
} from '../response-cache/cached-response.js'

export type ExpressCachePolicy = ResponseCachePolicy<Request>

/**
 * Express-compatible middleware (Express 4/5, or anything that calls `(req, res, next)` with Node's response): a hit
 * answers from Strata without calling the next handlers (X-Cache: HIT); a miss lets them run and stores a 200 answer
 * once it is finished (X-Cache: MISS). Mount it per route or router: `app.get('/products/:id', strataCache({ cache }), handler)`.
 */
export function strataExpressCache(options: ResponseCacheOptions & ExpressCachePolicy): RequestHandler {
  const responses = responseNamespace(options)
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const ttl = options.ttl ?? DEFAULT_RESPONSE_TTL_MS

  return (request: Request, response: Response, next: NextFunction) => {
    if (!isCacheableRequest(request.method, request.headers, options.cacheCredentialed)) return next()
    const key = options.key?.(request) ?? `GET ${request.originalUrl}`
    responses.get(key).then(
      (cached) => {
        if (cached !== undefined) {
          response.status(cached.status).setHeader('x-cache', 'HIT')
          if (cached.contentType !== undefined) response.setHeader('content-type', cached.contentType)
          response.end(bodyOf(cached))
          return
        }
        response.setHeader('x-cache', 'MISS')
        captureAndStore(request, response, key)
        next()
      },
      // The cache being unreachable must not take the route down: serve it uncached.
      () => next(),
    )
  }

  function captureAndStore(request: Request, response: Response, key: string): void {
    const chunks: Buffer[] = []
    let size = 0
    const write = response.write.bind(response) as (...args: unknown[]) => boolean
    const end = response.end.bind(response) as (...args: unknown[]) => Response
    const collect = (chunk: unknown, encoding: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function' || size > maxBytes) return
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      size += buffer.length
      chunks.push(buffer)
    }
    response.write = ((chunk: unknown, ...rest: unknown[]) => {
      collect(chunk, rest[0])
      return write(chunk, ...rest)
    }) as Response['write']
    response.end = ((chunk?: unknown, ...rest: unknown[]) => {
      collect(chunk, rest[0])
      return end(chunk, ...rest)
    }) as Response['end']
    response.once('finish', () => {
      if (response.statusCode !== 200 || size > maxBytes) return
      const contentType = response.getHeader('content-type')
      const type = typeof contentType === 'string' ? contentType : undefined
      const body = Buffer.concat(chunks)
      const text = type !== undefined && /^(text\/|application\/(json|javascript|xml))/.test(type)
      const stored = toCachedResponse(200, type, text ? body.toString('utf8') : body, maxBytes)
      if (stored === undefined) return
      const tags = tagsFor(options, request)
      responses.set(key, stored, { ttl, ...(tags === undefined ? {} : { tags }) }).catch(() => {
        // Reported through the cache's error events; the answer was already sent.
      })
    })
  }
}
