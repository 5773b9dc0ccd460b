import { describeSource, type ConfigIssue, type ConfigSource } from './config-source.js'

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
  return issues
}
