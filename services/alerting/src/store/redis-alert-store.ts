import { Redis } from 'ioredis'
import type { AlertRecord, AlertStore, DeliveryRecord, Notification, Silence, StoreChange } from './alert-store.js'

const HISTORY_LENGTH = 1000

/**
 * The store on the queue Redis (append-only file, no eviction), beside the delivery jobs: four hashes and a capped
 * list under `<prefix>:alerting:`. `commit` is one MULTI, so alert state and its outbox entries change together.
 */
export class RedisAlertStore implements AlertStore {
  private readonly redis: Redis
  private readonly keys: { alerts: string; outbox: string; silences: string; rules: string; deliveries: string }

  constructor(url: string, prefix = 'strata') {
    this.redis = new Redis(url, { maxRetriesPerRequest: 3 })
    this.redis.on('error', () => undefined)
    const base = `${prefix}:alerting`
    this.keys = { alerts: `${base}:alerts`, outbox: `${base}:outbox`, silences: `${base}:silences`, rules: `${base}:rules`, deliveries: `${base}:deliveries` }
  }

  async loadAlerts(): Promise<AlertRecord[]> {
    return Object.values(await this.redis.hgetall(this.keys.alerts)).map((json) => JSON.parse(json) as AlertRecord)
  }

  async commit(change: StoreChange): Promise<void> {
    const tx = this.redis.multi()
    for (const alert of change.put) tx.hset(this.keys.alerts, alert.fingerprint, JSON.stringify(alert))
    if (change.remove.length > 0) tx.hdel(this.keys.alerts, ...change.remove)
    for (const notification of change.outbox) tx.hset(this.keys.outbox, notification.id, JSON.stringify(notification))
    const results = await tx.exec()
    const failed = results?.find(([error]) => error !== null)
    if (failed !== undefined) throw failed[0]!
  }

  async outbox(): Promise<Notification[]> {
    return Object.values(await this.redis.hgetall(this.keys.outbox)).map((json) => JSON.parse(json) as Notification)
  }

  async ackOutbox(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.hdel(this.keys.outbox, ...ids)
  }

  async putSilence(silence: Silence): Promise<void> {
    await this.redis.hset(this.keys.silences, silence.id, JSON.stringify(silence))
  }

  async silences(now: number): Promise<Silence[]> {
    const all = Object.values(await this.redis.hgetall(this.keys.silences)).map((json) => JSON.parse(json) as Silence)
    const expired = all.filter((silence) => silence.endsAt <= now).map((silence) => silence.id)
    if (expired.length > 0) await this.redis.hdel(this.keys.silences, ...expired)
    return all.filter((silence) => silence.endsAt > now)
  }

  async deleteSilence(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.silences, id)) === 1
  }

  async putApiRule(name: string, input: unknown): Promise<void> {
    await this.redis.hset(this.keys.rules, name, JSON.stringify(input))
  }

  async apiRules(): Promise<Array<{ name: string; input: unknown }>> {
    return Object.entries(await this.redis.hgetall(this.keys.rules)).map(([name, json]) => ({ name, input: JSON.parse(json) as unknown }))
  }

  async deleteApiRule(name: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.rules, name)) === 1
  }

  async recordDelivery(record: DeliveryRecord): Promise<void> {
    await this.redis.multi().lpush(this.keys.deliveries, JSON.stringify(record)).ltrim(this.keys.deliveries, 0, HISTORY_LENGTH - 1).exec()
  }

  async deliveries(limit: number): Promise<DeliveryRecord[]> {
    return (await this.redis.lrange(this.keys.deliveries, 0, limit - 1)).map((json) => JSON.parse(json) as DeliveryRecord)
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined)
  }
}
