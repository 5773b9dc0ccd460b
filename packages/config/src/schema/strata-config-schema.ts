import { Type, type StaticDecode } from '@sinclair/typebox'
import { GatewaySettingsSchema } from './gateway-settings.js'
import { KafkaSettingsSchema } from './kafka-settings.js'
import { L2SettingsSchema } from './l2-settings.js'
import { AlertingSettingsSchema, AnalyticsSettingsSchema, CdcSettingsSchema, InvalidatorSettingsSchema, WarmerSettingsSchema, WriteBehindSettingsSchema } from './service-settings.js'
import { sharedSettings } from './shared-settings.js'

/**
 * Strata's one configuration: shared settings at the top level, the shared L2 and Kafka, and a section per service.
 * One file may configure a whole deployment; each service reads the parts it uses (SERVICE_SETTINGS).
 */
export const StrataConfigSchema = Type.Object(
  {
    ...sharedSettings,
    l2: Type.Object(L2SettingsSchema.properties, { additionalProperties: false, default: {}, description: 'The shared L2 every cache-touching service uses' }),
    kafka: Type.Object(KafkaSettingsSchema.properties, { additionalProperties: false, default: {}, description: 'Kafka for every service' }),
    gateway: Type.Object(GatewaySettingsSchema.properties, { additionalProperties: false, default: {} }),
    invalidator: Type.Object(InvalidatorSettingsSchema.properties, { additionalProperties: false, default: {} }),
    writeBehind: Type.Object(WriteBehindSettingsSchema.properties, { additionalProperties: false, default: {} }),
    warmer: Type.Object(WarmerSettingsSchema.properties, { additionalProperties: false, default: {} }),
    analytics: Type.Object(AnalyticsSettingsSchema.properties, { additionalProperties: false, default: {} }),
    alerting: Type.Object(AlertingSettingsSchema.properties, { additionalProperties: false, default: {} }),
    cdc: Type.Object(CdcSettingsSchema.properties, { additionalProperties: false, default: {} }),
  },
  { additionalProperties: false },
)

export type StrataConfig = StaticDecode<typeof StrataConfigSchema>

export const SERVICES = ['gateway', 'invalidator', 'write-behind', 'warmer', 'analytics', 'alerting', 'cdc'] as const
export type StrataService = (typeof SERVICES)[number]

/** The settings (paths, a section name standing for all of it) each service reads: what `explain` shows for it. */
export const SERVICE_SETTINGS: Record<StrataService, readonly string[]> = {
  gateway: ['prefix', 'logLevel', 'instanceId', 'postgresUrl', 'queueRedisUrl', 'fastInvalidation', 'keyCacheTtl', 'serverSecret', 'l2', 'kafka', 'writeBehind.queue', 'gateway'],
  invalidator: ['prefix', 'logLevel', 'instanceId', 'postgresUrl', 'fastInvalidation', 'keyCacheTtl', 'serverSecret', 'corsOrigins', 'l2', 'kafka', 'invalidator'],
  'write-behind': ['prefix', 'logLevel', 'instanceId', 'postgresUrl', 'queueRedisUrl', 'keyCacheTtl', 'serverSecret', 'kafka', 'writeBehind'],
  warmer: ['prefix', 'logLevel', 'instanceId', 'postgresUrl', 'keysPostgresUrl', 'queueRedisUrl', 'keyCacheTtl', 'serverSecret', 'l2', 'kafka', 'warmer'],
  analytics: ['prefix', 'logLevel', 'instanceId', 'postgresUrl', 'keyCacheTtl', 'serverSecret', 'corsOrigins', 'l2', 'kafka', 'analytics'],
  alerting: ['prefix', 'logLevel', 'instanceId', 'postgresUrl', 'queueRedisUrl', 'keyCacheTtl', 'serverSecret', 'corsOrigins', 'kafka', 'alerting'],
  cdc: ['prefix', 'logLevel', 'instanceId', 'postgresUrl', 'keysPostgresUrl', 'keyCacheTtl', 'serverSecret', 'kafka', 'cdc'],
}

/** The file section of a service (`write-behind` is `writeBehind`). */
export const SECTION_OF: Record<StrataService, keyof StrataConfig> = {
  gateway: 'gateway',
  invalidator: 'invalidator',
  'write-behind': 'writeBehind',
  warmer: 'warmer',
  analytics: 'analytics',
  alerting: 'alerting',
  cdc: 'cdc',
}
