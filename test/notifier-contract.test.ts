// The plugin contract kit on the email and webhook notifiers, each against a real receiver.
import email from '../plugins/email/index.ts'
import webhook from '../plugins/webhook/index.ts'
import { startSmtpReceiver } from './notify/smtp-receiver.ts'
import { newWebhookSecret, startWebhookReceiver } from './notify/webhook-receiver.ts'
import { testPluginContract } from './plugin-contract.ts'

const auth = { user: 'tandem', pass: 'contract smtp password' }
const webhookSecret = newWebhookSecret()

testPluginContract(email, {
  env: { SMTP_PASS: auth.pass },
  notifiers: {
    email: {
      async receiver() {
        const smtp = await startSmtpReceiver(auth)
        return {
          channel: {
            from: 'tandem@ops.example',
            to: ['oncall@ops.example'],
            smtp: {
              host: '127.0.0.1',
              port: smtp.port,
              security: 'starttls',
              ca: smtp.caFile,
              auth: { user: auth.user, pass: 'env:SMTP_PASS' },
            },
          },
          received: async () => smtp.mails.map((m) => m.mail.subject ?? ''),
          refuse(kind) {
            // 451: local error, try again later; 550: mailbox unavailable (RFC 5321).
            const answer = kind === 'temporary' ? { code: 451, message: 'try later' } : undefined
            smtp.refuse =
              kind === undefined
                ? undefined
                : () => answer ?? { code: 550, message: 'no such mailbox' }
          },
          close: () => smtp.close(),
        }
      },
    },
  },
})

testPluginContract(webhook, {
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
              kind === undefined ? undefined : () => ({ status: kind === 'temporary' ? 503 : 422 })
          },
          close: () => rx.close(),
        }
      },
    },
  },
})
