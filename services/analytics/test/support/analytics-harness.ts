import { requireKafka, requirePostgres, uniqueName } from '@strata/testkit'
import pg from 'pg'
import { PostgresRollupStore, buildAnalytics, type Analytics, type AnalyticsDependencies, type RollupStore } from '../../src/app.js'

export interface AnalyticsHarness {
  analytics: Analytics
  store: RollupStore
  pool: pg.Pool
  schema: string
  topics: { access: string; invalidations: string; errors: string; alerts: string; warming: string }
  group: string
  brokers: string[]
  stop(): Promise<void>
}

/** An in-process analytics service on real Kafka and PostgreSQL, with its own schema, topics and group. */
export async function startAnalytics(overrides: Partial<Omit<AnalyticsDependencies, 'kafka'>> & { kafka?: false } = {}): Promise<AnalyticsHarness> {
  const brokers = await requireKafka()
  const postgresUrl = await requirePostgres()
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 4 })
  const schema = uniqueName('analytics').replace(/[^a-z0-9]/g, '_')
  const store = new PostgresRollupStore(pool, schema)
  const topics = {
    access: uniqueName('test.access'),
    invalidations: uniqueName('test.invalidations'),
    errors: uniqueName('test.errors'),
    alerts: uniqueName('test.alerts'),
    warming: uniqueName('test.warming'),
  }
  const group = uniqueName('analytics')
  const { kafka, ...rest } = overrides
  const analytics = buildAnalytics({ store, flushIntervalMs: 200, ...(kafka === false ? {} : { kafka: { brokers, group, topics } }), ...rest })
  await analytics.start()
  return {
    analytics,
    store,
    pool,
    schema,
    topics,
    group,
    brokers,
    stop: async () => {
      await analytics.stop()
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await pool.end()
    },
  }
}
