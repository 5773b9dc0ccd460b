import { requireKafka } from '@strata/testkit'
import { KafkaTransport } from '../src/transport/kafka/index.js'
import { runTransportContractSuite } from '../src/testing/index.js'

runTransportContractSuite({
  name: 'kafka',
  create: async () => new KafkaTransport({ brokers: await requireKafka(), clientId: 'strata-bus-contract' }),
  timeoutMs: 90_000,
})
