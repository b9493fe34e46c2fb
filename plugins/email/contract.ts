// The email plugin's example site for the contract kit (test only): a real SMTP receiver (STARTTLS, auth).
import { startSmtpReceiver } from '../../test/notify/smtp-receiver.ts'
import { defineContractSite } from '../../test/plugin/contract-sites.ts'

const auth = { user: 'tandem', pass: 'contract smtp password' }

export default defineContractSite(() => ({
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
}))
