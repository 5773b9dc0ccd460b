// PostgreSQL adapters: a subpath so that only services that use PostgreSQL load `pg`.
export { PostgresApiKeyStore } from './postgres-api-key-store.js'
export { PostgresAuditLog } from './postgres-audit-log.js'
export { postgresServiceAuth, type ServiceAuthOptions } from './service-auth.js'
