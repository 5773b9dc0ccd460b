// @strata/bus — events on Strata's bus: the envelope, the schemas, topic names and the Transport port.
// The Kafka adapter is the subpath `@strata/bus/kafka`; the contract suite is `@strata/bus/testing`.
export { TOPICS, deadLetterTopic, isDeadLetterTopic, type StrataTopic } from './topics.js'
export { EventEnvelopeSchema, TRACEPARENT_PATTERN, createEvent, type EventEnvelope, type NewEvent } from './envelope/event-envelope.js'
export { validateEvent } from './envelope/event-validation.js'
export { EVENT_HEADERS, encodeEvent, decodeEvent, publishEvents, consumeEvents, type EventHandler } from './envelope/event-codec.js'
export * from './events/strata-events.js'
export {
  DEFAULT_RETRY,
  groupIdOf,
  type Transport,
  type OutgoingMessage,
  type IncomingMessage,
  type MessageHandler,
  type SubscribeOptions,
  type RetryPolicy,
  type Subscription,
  type SubscriptionGap,
  type DeadLetter,
} from './transport/transport.js'
export { DEAD_LETTER_HEADERS, isTransient, type DeliveryOutcome } from './transport/delivery.js'
export { MemoryTransport, type MemoryTransportOptions } from './transport/memory/memory-transport.js'
export { ClusterIpcTransport, type ClusterIpcTransportOptions } from './transport/cluster-ipc/cluster-ipc-transport.js'
export { ClusterIpcBroker } from './transport/cluster-ipc/cluster-ipc-broker.js'
export type { IpcChannel } from './transport/cluster-ipc/ipc-peer.js'
export { ErrorEventPublisher, type ErrorEventPublisherOptions, type ErrorReport } from './errors/error-event-publisher.js'
export {
  TransportInvalidationBus,
  transportInvalidationBus,
  INVALIDATION_EVENT_TYPE,
  INVALIDATION_HEARTBEAT_TYPE,
  type TransportInvalidationBusOptions,
} from './invalidation/transport-invalidation-bus.js'
export type { InvalidationFanout } from './fanout/invalidation-fanout.js'
export { FanoutErrorReport, type FanoutErrorReportOptions, type FanoutErrorStage } from './fanout/fanout-error-report.js'
export { buildAsyncApiDocument } from './asyncapi/asyncapi-document.js'
export { startPublishSpan, withConsumeSpan, activeTraceparent, outsideTrace, type PublishSpan } from './tracing/message-tracing.js'
export {
  defineTopicUse,
  topicContractProblems,
  topicDeclarationProblems,
  type AnyTopicUse,
  type TopicId,
  type TopicUse,
  type TopicUseDeclaration,
} from './contract/topic-use.js'
