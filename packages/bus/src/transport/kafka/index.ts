// @strata/bus/kafka — the Kafka transport; a subpath so that kafkajs loads only for those who use it.
export { KafkaTransport, type KafkaTransportOptions } from './kafka-transport.js'
export { ensureTopics } from './ensure-topics.js'
