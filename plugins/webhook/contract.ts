// The webhook plugin's example site for the contract kit (test only): a real receiver verifying signatures.
import { newWebhookSecret, startWebhookReceiver } from '../../test/notify/webhook-receiver.ts'
import { defineContractSite } from '../../test/plugin/contract-sites.ts'

export default defineContractSite(() => {
  const webhookSecret = newWebhookSecret()
  return {
    env: { WEBHOOK_SECRET: webhookSecret },
    notifiers: {
      webhook: {
        async receiver() {
          const rx = await startWebhookReceiver({ secret: webhookSecret })
          return {
            channel: { url: rx.url, secrets: ['env:WEBHOOK_SECRET'], allow: ['127.0.0.1/32'] },
            received: async () =>
              rx.received.map(
                (r) => (r.payload as { data: { subject?: string } }).data.subject ?? '',
              ),
            refuse(kind) {
              // 503: the receiver is busy; 422: it will never take this body.
              rx.respond =
                kind === undefined
                  ? undefined
                  : () => ({ status: kind === 'temporary' ? 503 : 422 })
            },
            close: () => rx.close(),
          }
        },
      },
    },
  }
})
