/**
 * The image each container-mode server runs: the official image by default, or the one its variable names (a
 * machine that reaches no registry points these at locally built stand-ins, see infra/docker/local-images/build.sh).
 */
export const serverImages = {
  redis: { variable: 'STRATA_REDIS_IMAGE', official: 'redis:7.2' },
  memcached: { variable: 'STRATA_MEMCACHED_IMAGE', official: 'memcached:1.6' },
  kafka: { variable: 'STRATA_KAFKA_IMAGE', official: 'apache/kafka:3.9.1' },
  postgres: { variable: 'STRATA_POSTGRES_IMAGE', official: 'postgres:15' },
} as const

export type ServerImage = (typeof serverImages)[keyof typeof serverImages]

/** Read when a container starts, not at import, so a run can point a variable elsewhere after loading the testkit. */
export function imageName(image: ServerImage): string {
  const value = process.env[image.variable]?.trim()
  return value === undefined || value === '' ? image.official : value
}
