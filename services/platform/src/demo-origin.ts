import Fastify, { type FastifyInstance } from 'fastify'

export interface Product {
  id: string
  name: string
  price: number
  updatedAt: string
}

/**
 * The embedded default's demo origin: a product service whose responses carry Cache-Control, ETag, Last-Modified and
 * Surrogate-Key, so the proxy and the read-through namespace have something real to cache. `GET /stats` counts the
 * requests it served, which shows the cache at work.
 */
export function buildDemoOrigin(): { app: FastifyInstance; products: Map<string, Product>; hits: () => number } {
  const app = Fastify({ logger: false })
  const products = new Map<string, Product>()
  for (let id = 1; id <= 100; id++) {
    products.set(String(id), { id: String(id), name: `Product ${id}`, price: 10 + (id % 7) * 5, updatedAt: new Date(0).toISOString() })
  }
  let hits = 0

  app.get<{ Params: { id: string } }>('/products/:id', (request, reply) => {
    hits++
    const product = products.get(request.params.id)
    if (product === undefined) return reply.code(404).header('cache-control', 'public, max-age=10').send({ error: 'no such product' })
    const etag = `"p${product.id}-${Date.parse(product.updatedAt)}"`
    reply
      .header('cache-control', 'public, max-age=300, stale-while-revalidate=30, stale-if-error=600')
      .header('surrogate-key', `product-${product.id} products`)
      .header('etag', etag)
      .header('last-modified', new Date(product.updatedAt).toUTCString())
    if (request.headers['if-none-match'] === etag) return reply.code(304).send()
    return reply.send(product)
  })

  app.put<{ Params: { id: string }; Body: Omit<Product, 'id' | 'updatedAt'> }>('/products/:id', (request, reply) => {
    const product = { ...request.body, id: request.params.id, updatedAt: new Date().toISOString() }
    products.set(request.params.id, product)
    return reply.send(product)
  })

  app.delete<{ Params: { id: string } }>('/products/:id', (request, reply) => {
    products.delete(request.params.id)
    return reply.code(204).send()
  })

  app.get('/stats', (_request, reply) => reply.send({ requests: hits }))
  return { app, products, hits: () => hits }
}
