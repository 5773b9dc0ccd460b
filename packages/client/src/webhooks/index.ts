// @strata/client/webhooks — what a receiver of Strata's alert webhooks needs: check a delivery's signature and age.
export { WEBHOOK_HEADERS, signWebhook, verifyWebhook } from './webhook-signature.js'
