// The alerting service's rules file: the rule language (metric expressions, templates), receivers, the YAML loader.
export { compare, type AlertRule, type Comparison, type Expr, type LabelMatcher, type Selector, type Severity } from './alert-rule.js'
export { RuleProblem, compileReceiver, compileRule, expandRule, type Receiver } from './compile-rule.js'
export { RuleSchema, ExprSchema, ReceiverSchema, type RuleInput, type ReceiverInput } from './rule-schema.js'
export { loadAlertingFile, parseAlertingConfig, type AlertingConfig } from './rules-loader.js'
export { TEMPLATES } from './templates.js'
