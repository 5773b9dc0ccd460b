import FindMyWay from 'find-my-way'

/**
 * Which methods a path takes, for a 405 and its Allow header instead of a 404. A second router holding every route's
 * method and URL (from Fastify's onRoute hook) with the same matching options; asked only when Fastify found no
 * route, so it costs the routes that exist nothing.
 */
export class MethodIndex {
  private readonly router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>
  private readonly methods = new Set<string>()

  constructor(options: { maxParamLength: number; ignoreTrailingSlash?: boolean }) {
    this.router = FindMyWay({ maxParamLength: options.maxParamLength, ignoreTrailingSlash: options.ignoreTrailingSlash ?? false })
  }

  add(method: string, url: string): void {
    try {
      this.router.on(method as FindMyWay.HTTPMethod, url, noop)
      this.methods.add(method)
    } catch {
      // The same method and URL under another constraint (a version, a host): one entry is enough to answer Allow.
    }
  }

  /** The methods some route takes on this path (query string ignored), sorted; empty when the path is unknown. */
  allowed(url: string): string[] {
    const path = url.split('?')[0] ?? url
    return [...this.methods].filter((method) => this.router.find(method as FindMyWay.HTTPMethod, path) !== null).sort()
  }
}

function noop(): void {}
