import type { Command } from 'commander'
import { createEvent, publishEvents } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { CONFIG_FILE_VARIABLE, kafkaClientSettings } from '@strata/config'
import { CliFailure, EXIT, type CliIo } from '../cli-io.js'
import { loadValidConfig } from './config-commands.js'

interface PublishOptions {
  topic: string
  type: string
  data: string
  subject?: string
  brokers?: string
}

/**
 * `strata events publish`: one domain event on a Kafka topic, in the envelope the invalidator reads — what a service
 * of yours does when its data changes, for trying rules against a running deployment (the Docker walk-through).
 * Brokers and their TLS/SASL come from the configuration (the `kafka` section, $STRATA_CONFIG_FILE, STRATA_KAFKA_*).
 */
export function eventCommands(program: Command, io: CliIo): void {
  program
    .command('events')
    .description('domain events on Kafka, as the invalidator reads them')
    .command('publish')
    .requiredOption('--topic <topic>', "the domain topic, e.g. shop.catalog.v1 (a rule's `topic`)")
    .requiredOption('--type <type>', "the event type, e.g. product.updated (a rule's `type`)")
    .option('--data <json>', 'the event data: a JSON object, e.g. \'{"id":"42"}\'', '{}')
    .option('--subject <subject>', 'the event subject (also the message key, so one subject keeps its order)')
    .option('--brokers <list>', 'comma-separated host:port (default: the configuration’s kafka.brokers)')
    .description('publish one domain event; prints its id')
    .action(async (options: PublishOptions) => {
      const data = parseData(options.data)
      const kafka = kafkaSettings(io.env, options.brokers)
      const event = createEvent({ type: options.type, data, source: 'strata/cli', ...(options.subject === undefined ? {} : { subject: options.subject }) })
      const transport = new KafkaTransport(kafkaClientSettings(kafka, 'cli'))
      try {
        await publishEvents(transport, options.topic, [event], () => options.subject)
      } finally {
        await transport.close()
      }
      io.out(`published ${event.type} ${event.id} to ${options.topic}\n`)
    })
}

function parseData(raw: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (error) {
    throw new CliFailure(`--data is not JSON (${(error as Error).message}): ${raw.slice(0, 80)}`, EXIT.usage)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CliFailure(`--data must be a JSON object, got ${raw.slice(0, 80)}`, EXIT.usage)
  return value as Record<string, unknown>
}

function kafkaSettings(env: NodeJS.ProcessEnv, brokers: string | undefined) {
  const overlay = brokers === undefined ? env : { ...env, STRATA_KAFKA_BROKERS: brokers }
  return loadValidConfig(env[CONFIG_FILE_VARIABLE] || undefined, overlay).config.kafka
}
