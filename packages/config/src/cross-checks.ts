import { describeSource, type ConfigIssue, type ConfigSource } from './config-source.js'
import { workerCountOf } from './worker-count.js'

type Values = Readonly<Record<string, unknown>>

/** Settings that only make sense together, checked after the schema (each names both settings). */
export function crossChecks(values: Values, sources: Readonly<Record<string, ConfigSource>>): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const section = (name: string) => (values[name] ?? {}) as Values
  const need = (when: boolean, path: string, message: string) => {
    if (when) issues.push({ path: `/${path.replace('.', '/')}`, message, source: describeSource(sources[path]) })
  }
  const kafka = section('kafka')
  need(kafka.saslMechanism !== undefined && kafka.saslMechanism !== 'none' && (kafka.saslUsername === '' || kafka.saslPassword === ''), 'kafka.saslMechanism', 'needs kafka.saslUsername (STRATA_KAFKA_SASL_USERNAME) and kafka.saslPassword (STRATA_KAFKA_SASL_PASSWORD)')
  need((kafka.certFile === '') !== (kafka.keyFile === ''), 'kafka.certFile', 'kafka.certFile (STRATA_KAFKA_CERT_FILE) and kafka.keyFile (STRATA_KAFKA_KEY_FILE) go together')
  need(kafka.tls !== 'on' && (kafka.caFile !== '' || kafka.certFile !== ''), 'kafka.tls', "is 'off' while a CA or client certificate is set: set STRATA_KAFKA_TLS=on")
  const l2Kind = typeof section('l2').kind === 'string' ? (section('l2').kind as string) : 'redis'
  need(values.fastInvalidation === 'redis' && l2Kind !== 'redis' && l2Kind !== 'redis-sentinel' && l2Kind !== 'redis-cluster', 'fastInvalidation', `'redis' publishes on the L2's Redis, but l2.kind is '${l2Kind}': set STRATA_L2 to a Redis kind or STRATA_FAST_INVALIDATION=off`)
  const gateway = section('gateway')
  need(gateway.jwtJwksUrl !== '' && gateway.jwtJwksUrl !== undefined && (gateway.jwtIssuer === '' || gateway.jwtAudience === ''), 'gateway.jwtJwksUrl', 'needs gateway.jwtIssuer (STRATA_JWT_ISSUER) and gateway.jwtAudience (STRATA_JWT_AUDIENCE) too')
  need((gateway.tlsCertFile === '') !== (gateway.tlsKeyFile === ''), 'gateway.tlsCertFile', 'gateway.tlsCertFile (STRATA_TLS_CERT_FILE) and gateway.tlsKeyFile (STRATA_TLS_KEY_FILE) go together')
  need(gateway.accessEvents !== undefined && gateway.bus !== 'kafka', 'gateway.accessEvents', 'needs gateway.bus kafka (STRATA_GATEWAY_BUS=kafka)')
  // Several workers are several processes: what lives in one process's memory would be one worker's alone.
  const workers = workerCountOf(gateway.workers) ?? 1
  const several = `with gateway.workers ${JSON.stringify(gateway.workers)} (STRATA_GATEWAY_WORKERS, ${workers} processes)`
  need(workers > 1 && gateway.queue === 'memory', 'gateway.queue', `'memory' ${several}: each worker would flush its own write-behind buffer, so two writes of one key could reach the origin out of order; set STRATA_GATEWAY_QUEUE=redis`)
  need(workers > 1 && section('l2').kind === 'memory', 'l2.kind', `'memory' ${several}: each worker would have an L2 of its own that the others' deletes never reach; use a shared L2 (STRATA_L2=redis, redis-cluster, redis-sentinel or memcached)`)
  need(workers > 1 && gateway.auth !== 'off' && gateway.keyStore === 'memory', 'gateway.keyStore', `'memory' ${several}: an API key created through one worker would be unknown to the others; set STRATA_GATEWAY_KEY_STORE=postgres`)
  return issues
}
