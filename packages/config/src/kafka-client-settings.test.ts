import { describe, expect, it } from 'vitest'
import { kafkaClientSettings } from './kafka-client-settings.js'
import { loadConfig } from './load-config.js'

const files: Record<string, string> = { '/ca.pem': 'CA', '/cert.pem': 'CERT', '/key.pem': 'KEY' }
const read = (path: string) => files[path]!

describe('kafkaClientSettings: one kafka section for every service', () => {
  it('plaintext by default, with the client id naming the process and the timeouts as milliseconds', () => {
    const { kafka } = loadConfig({ env: { STRATA_KAFKA_BROKERS: 'k1:9092,k2:9092', STRATA_KAFKA_CONNECTION_TIMEOUT: '2s' } }).config
    expect(kafkaClientSettings(kafka, 'invalidator-a', read)).toEqual({ brokers: ['k1:9092', 'k2:9092'], clientId: 'strata-invalidator-a', connectionTimeout: 2_000, requestTimeout: 30_000 })
  })

  it('TLS with the system CAs, a private CA, or mutual TLS; SASL with its mechanism', () => {
    expect(kafkaClientSettings(loadConfig({ env: { STRATA_KAFKA_TLS: 'on' } }).config.kafka, 'x', read).ssl).toBe(true)
    const mutual = loadConfig({
      env: { STRATA_KAFKA_TLS: 'on', STRATA_KAFKA_CA_FILE: '/ca.pem', STRATA_KAFKA_CERT_FILE: '/cert.pem', STRATA_KAFKA_KEY_FILE: '/key.pem', STRATA_KAFKA_SASL_MECHANISM: 'scram-sha-512', STRATA_KAFKA_SASL_USERNAME: 'svc', STRATA_KAFKA_SASL_PASSWORD: 'pw' },
    }).config.kafka
    const settings = kafkaClientSettings(mutual, 'x', read)
    expect(settings.ssl).toEqual({ ca: ['CA'], cert: 'CERT', key: 'KEY' })
    expect(settings.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'svc', password: 'pw' })
  })
})
