import type { Admin } from 'kafkajs'

/**
 * Creates those of `topics` that do not exist yet, so subscribing to a topic nobody has published to does not fail.
 * Two processes creating the same new topic at once: one gets "already exists", the other may see the topic's
 * metadata before its leader is elected (UNKNOWN_TOPIC_OR_PARTITION, retriable). Both are fine after a re-check.
 * Throws the last error after `attempts` tries.
 */
export async function ensureTopics(admin: Admin, topics: readonly string[], attempts = 10): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const existing = new Set(await admin.listTopics())
      const missing = topics.filter((topic) => !existing.has(topic))
      if (missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic })) })
      return
    } catch (error) {
      if (error instanceof Error && /already exists/i.test(error.message)) return
      const retriable = (error as { retriable?: unknown }).retriable === true || (error as { cause?: { retriable?: unknown } }).cause?.retriable === true
      if (!retriable || attempt >= attempts) throw error
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt))
    }
  }
}
