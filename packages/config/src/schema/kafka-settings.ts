import { Type, type StaticDecode } from '@sinclair/typebox'
import { Duration } from '../duration.js'
import { HostPortList, OneOf, OnOff, setting } from '../setting.js'

export const SASL_MECHANISMS = ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const

/** Kafka for every service (section `kafka`): brokers, TLS, SASL and client timeouts, read one way. */
export const KafkaSettingsSchema = Type.Object(
  {
    brokers: setting(HostPortList(['127.0.0.1:9092'], 'Bootstrap brokers'), { env: 'STRATA_KAFKA_BROKERS' }),
    clientId: setting(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', default: 'strata', description: 'Client id prefix; each service appends -<service>-<instance>' }), {
      env: 'STRATA_KAFKA_CLIENT_ID',
    }),
    tls: setting(OnOff('off', 'TLS to the brokers (system CAs, or caFile)'), { env: 'STRATA_KAFKA_TLS' }),
    caFile: setting(Type.String({ default: '', description: 'PEM file of the CA that signed the brokers' }), { env: 'STRATA_KAFKA_CA_FILE' }),
    certFile: setting(Type.String({ default: '', description: 'Client certificate (PEM) for mutual TLS, with keyFile' }), { env: 'STRATA_KAFKA_CERT_FILE' }),
    keyFile: setting(Type.String({ default: '', description: 'Client key (PEM) for mutual TLS' }), { env: 'STRATA_KAFKA_KEY_FILE' }),
    saslMechanism: setting(OneOf(SASL_MECHANISMS, 'none', 'SASL authentication (with saslUsername / saslPassword)'), { env: 'STRATA_KAFKA_SASL_MECHANISM' }),
    saslUsername: setting(Type.String({ default: '' }), { env: 'STRATA_KAFKA_SASL_USERNAME' }),
    saslPassword: setting(Type.String({ default: '' }), { env: 'STRATA_KAFKA_SASL_PASSWORD', secret: true }),
    connectionTimeout: setting(Duration({ default: 3_000, minimum: 1, description: 'Connecting to a broker' }), { env: 'STRATA_KAFKA_CONNECTION_TIMEOUT' }),
    requestTimeout: setting(Duration({ default: 30_000, minimum: 1, description: 'One request to a broker' }), { env: 'STRATA_KAFKA_REQUEST_TIMEOUT' }),
  },
  { additionalProperties: false },
)
export type KafkaSettings = StaticDecode<typeof KafkaSettingsSchema>
