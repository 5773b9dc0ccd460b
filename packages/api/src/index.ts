// @strata/api — the gateway's HTTP contract: schemas it validates with, and the shapes its answers take.
export { Duration, NamespaceSecuritySchema, NamespaceSpecSchema, OriginSpecSchema, type NamespaceSecurity, type NamespaceSpec, type OriginSpec } from './namespace-spec.js'
