export { compileTemplate, readPath, type Template } from './rules/template.js'
export { ruleMatches, type InvalidationRule, type NamespacePolicy, type RuleSet, type ScheduledPurge } from './rules/invalidation-rule.js'
export { loadRulesFile, parseRules } from './rules/rules-loader.js'
export { planInvalidations } from './rules/rule-planner.js'
export {
  InvalidationTargetsBody,
  NamespaceName,
  NamespacedInvalidationBody,
  targetsAreEmpty,
  type InvalidationRequest,
  type InvalidationTargets,
  type InvalidationTrigger,
} from './invalidation-request.js'
export { recordOf, type InvalidationRecord } from './invalidation-record.js'
export { InvalidationExecutor, proxyNamespace, type InvalidationExecutorOptions } from './invalidation-executor.js'
export { MAX_SCANNED_FOR_TAG_COUNT, countKeys, countPrefixes, countTagged, dryRun, type DryRunCounts } from './dry-run.js'
