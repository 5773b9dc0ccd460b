import { stat } from 'node:fs/promises'
import { join, normalize, sep } from 'node:path'
import fastifyStatic from '@fastify/static'
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { StrataError } from '@strata/core'
import type { FastifyReply } from 'fastify'
import type { ConsoleConfig } from '../console/console-config.js'
import { problems } from '../http/schemas.js'

export interface ConsoleRoutesOptions {
  /** The built SPA (services/console/dist); looked at on each request, so a build made after start is served. */
  distDir: string
  config: ConsoleConfig
}

const ConfigSchema = Type.Object({
  mode: Type.Union([Type.Literal('embedded'), Type.Literal('gateway')]),
  version: Type.String(),
  services: Type.Object({
    alerting: Type.Optional(Type.String({ description: 'Alerting service base URL' })),
    analytics: Type.Optional(Type.String({ description: 'Analytics service base URL' })),
    invalidator: Type.Optional(Type.String({ description: 'Invalidator service base URL' })),
  }),
})
// Vite puts content-hashed files under assets/: they never change, so browsers may keep them for good.
const ASSETS = 'assets/'
const YEAR_MS = 365 * 24 * 3_600_000

/**
 * The web console, a React SPA built by `pnpm console:build`, served at /console/. Public: the shell holds no data,
 * every call it makes carries the user's API key. Paths that are not files serve index.html (client-side routing),
 * except under assets/, where a missing file is a 404 rather than HTML the browser would try to run as a script.
 * `/console/config.json` tells the SPA the mode, the version and the URLs of the other services it can call.
 */
export const consoleRoutes: FastifyPluginAsyncTypebox<ConsoleRoutesOptions> = async (app, { distDir, config }) => {
  const root = normalize(distDir)
  await app.register(fastifyStatic, { root, serve: false })
  const routeConfig = { auth: 'public' as const, securityHeaders: 'console' as const }

  app.get(
    '/console/config.json',
    { config: routeConfig, schema: { tags: ['console'], summary: 'What the console needs to start: mode, version, service URLs (public)', security: [], response: { 200: ConfigSchema, ...problems() } } },
    (_request, reply) => {
      void reply.header('cache-control', 'no-cache')
      return Promise.resolve(config)
    },
  )

  // A bare redirect: not an API operation, left out of the OpenAPI document.
  app.get('/console', { config: routeConfig, schema: { hide: true } }, (_request, reply) => reply.redirect('/console/', 308))

  const fileSchema = {
    tags: ['console'],
    summary: 'The console (web UI): its files, and index.html for any other path (public)',
    security: [],
    response: {
      200: { description: 'A file of the built console (HTML, JavaScript, CSS, images)', content: { 'text/html': { schema: { type: 'string' } } } },
      ...problems(404, 503),
    },
  }
  app.get<{ Params: { '*': string } }>('/console/*', { config: routeConfig, schema: fileSchema }, async (request, reply) => {
    if (!(await isFile(join(root, 'index.html')))) {
      throw new StrataError('E_CONSOLE_NOT_BUILT', `The console is not built (no ${join(root, 'index.html')}): run pnpm console:build`, { context: { distDir: root } })
    }
    const wanted = request.params['*']
    const path = normalize(join(root, wanted))
    const inside = path.startsWith(root + sep)
    if (inside && wanted !== '' && (await isFile(path))) return sendFile(reply, path.slice(root.length + 1))
    if (wanted.startsWith(ASSETS)) throw new StrataError('E_ROUTE_NOT_FOUND', `No console file ${wanted}`)
    return sendFile(reply, 'index.html')
  })
}

function sendFile(reply: FastifyReply, relative: string): FastifyReply {
  const hashed = relative.startsWith(ASSETS)
  // index.html and other unhashed files are revalidated on each load, so a new build shows at once.
  return hashed ? reply.sendFile(relative, { maxAge: YEAR_MS, immutable: true }) : reply.sendFile(relative, { maxAge: 0 })
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
