import type { AnyTopicUse } from '@strata/bus'
import { topicUse as dbCache } from '@strata/db-cache/capture'
import { topicUse as alerting } from '@strata/alerting'
import { topicUse as analytics } from '@strata/analytics'
import { topicUse as cdc } from '@strata/cdc'
import { topicUse as gateway } from '@strata/gateway'
import { topicUse as invalidator } from '@strata/invalidator'
import { topicUse as warmer } from '@strata/warmer'
import { topicUse as writeBehind } from '@strata/write-behind'

/**
 * Every component's declaration of the Kafka topics it produces and consumes, each kept next to its code. Only this
 * composing room may import every service, so the AsyncAPI document is built here from them.
 */
export const TOPIC_USES: readonly AnyTopicUse[] = [gateway, invalidator, analytics, alerting, warmer, writeBehind, cdc, dbCache]
