// @strata/config — one typed, validated configuration (file + env) with the source of each value.
export { GatewayConfigSchema, UpstreamSchema, ENV_OF, type GatewayConfig, type GatewayConfigField } from './gateway-config-schema.js'
export { loadConfig, describeSource, type LoadedConfig, type LoadConfigOptions, type ConfigIssue, type ConfigSource } from './load-config.js'
export { parseLocatedYaml, type LocatedYaml } from './located-yaml.js'
export { readGatewayConfig, type GatewaySettings } from './read-gateway-config.js'
export { parseDuration } from './duration.js'
export * from './alerting/index.js'
export { loadPlanFile, parsePlan, type KeysTarget, type QueriesTarget, type WarmPlan, type WarmPlanFile, type WarmTarget } from './warmer/warm-plan.js'
