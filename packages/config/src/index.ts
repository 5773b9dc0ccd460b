// @strata/config — one typed, validated configuration for every service (file + STRATA_* environment), with the source
// of each value. The L2 store from the `l2` section is the subpath `@strata/config/l2` (drivers load lazily).
export { StrataConfigSchema, SERVICES, SERVICE_SETTINGS, SECTION_OF, type StrataConfig, type StrataService } from './schema/strata-config-schema.js'
export { L2SettingsSchema, L2_KINDS, type L2Kind, type L2Settings } from './schema/l2-settings.js'
export { KafkaSettingsSchema, SASL_MECHANISMS, type KafkaSettings } from './schema/kafka-settings.js'
export { GatewaySettingsSchema, UpstreamSchema } from './schema/gateway-settings.js'
export { LOG_LEVELS } from './schema/shared-settings.js'
export { SETTINGS, SETTING_BY_PATH, type SettingInfo, type EnvKind } from './settings-index.js'
export { loadConfig, configInvalid, describeSource, CONFIG_FILE_VARIABLE, type LoadedConfig, type LoadConfigOptions, type ConfigIssue, type ConfigSource } from './load-config.js'
export { explainConfig, readsSetting, maskedValue, maskUrlPassword, type ExplainedSetting } from './explain-config.js'
export { kafkaClientSettings, type KafkaClientSettings } from './kafka-client-settings.js'
export { parseDuration, DURATION_HINT } from './duration.js'
export { instanceIdOf, listenOrExplain, listenFailureMessage, loadServiceConfig } from './process-settings.js'
export { parseLocatedYaml, type LocatedYaml } from './located-yaml.js'
