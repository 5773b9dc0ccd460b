import type { onResponseHookHandler, RouteOptions } from 'fastify'

/**
 * Adds an onResponse hook to one route as it is declared (from an `onRoute` hook), after the route's own: work that
 * only some routes need, or that needs the route's url, then costs the other routes nothing and reads no
 * `request.routeOptions` (a new object on every access).
 */
export function addRouteResponseHook(route: RouteOptions, hook: onResponseHookHandler): void {
  route.onResponse = [...[route.onResponse ?? []].flat(), hook] as RouteOptions['onResponse']
}
