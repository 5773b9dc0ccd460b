import { readFileSync } from 'node:fs'
import type { KafkaSettings } from './schema/kafka-settings.js'

/**
 * What a Kafka client needs, shaped so that it spreads into `KafkaTransportOptions` (@strata/bus/kafka) and into
 * kafkajs's own `KafkaConfig` (where a service uses kafkajs directly): brokers, client id, TLS, SASL, timeouts.
 */
export interface KafkaClientSettings {
  brokers: string[]
  clientId: string
  ssl?: true | { ca?: string[]; cert?: string; key?: string }
  sasl?: KafkaSasl
  connectionTimeout: number
  requestTimeout: number
}

/** One member per mechanism, as kafkajs types it. */
export type KafkaSasl =
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'scram-sha-256'; username: string; password: string }
  | { mechanism: 'scram-sha-512'; username: string; password: string }

/** The kafka section as client settings for one process: `who` (`invalidator-<instance>`) ends the client id. */
export function kafkaClientSettings(kafka: KafkaSettings, who: string, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): KafkaClientSettings {
  const tls = kafka.tls === 'on'
  const files = { ...(kafka.caFile === '' ? {} : { ca: [readFile(kafka.caFile)] }), ...(kafka.certFile === '' ? {} : { cert: readFile(kafka.certFile), key: readFile(kafka.keyFile) }) }
  return {
    brokers: [...kafka.brokers],
    clientId: `${kafka.clientId}-${who}`,
    ...(tls ? { ssl: Object.keys(files).length === 0 ? true : files } : {}),
    ...(kafka.saslMechanism === 'none' ? {} : { sasl: { mechanism: kafka.saslMechanism, username: kafka.saslUsername, password: kafka.saslPassword } }),
    connectionTimeout: kafka.connectionTimeout,
    requestTimeout: kafka.requestTimeout,
  }
}
