// An email channel's `with:` block: fixed sender and recipients, and the SMTP server to hand mail to.
import { isIP } from 'node:net'
import { SecretRef, z } from '../../core/plugin/index.ts'

/**
 * One bare address (`ops@example.com`): no display names, commas, angle brackets or spaces, so
 * a recipient list can only ever hold what the config lists.
 */
const Address = z
  .string()
  .max(254)
  .regex(
    /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
    'expected one plain address such as ops@example.com (no names, commas or angle brackets)',
  )

const HeaderText = z
  .string()
  .max(78)
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters (CR, LF, …) in a header')

const Smtp = z
  .strictObject({
    host: z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected a host name or IP address'),
    port: z.number().int().min(1).max(65535).default(587),
    /** `starttls` (required, not opportunistic), `tls` (implicit, port 465) or `none`. */
    security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
    auth: z.strictObject({ user: z.string().min(1), pass: SecretRef }).optional(),
    /** A PEM file of the CA (or self-signed certificate) to trust for this server. */
    ca: z.string().startsWith('/', 'an absolute path to a PEM file').optional(),
    /** Check the server's certificate (turn off only for a lab). */
    verify: z.boolean().default(true),
    max_connections: z.number().int().min(1).max(10).default(2),
    /** Name to greet the server with (EHLO); default: this host's name. */
    helo_name: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/)
      .optional(),
  })
  .superRefine((smtp, ctx) => {
    const loopback =
      smtp.host === 'localhost' ||
      smtp.host === '::1' ||
      (isIP(smtp.host) === 4 && smtp.host.startsWith('127.'))
    if (smtp.auth && smtp.security === 'none' && !loopback)
      ctx.addIssue({
        code: 'custom',
        path: ['security'],
        message: 'a password is never sent in clear text: use starttls or tls',
      })
  })

export const EmailChannel = z.strictObject({
  from: Address,
  /** Shown as the sender's name; default "tandem". */
  from_name: HeaderText.optional(),
  to: z.array(Address).min(1).max(50),
  cc: z.array(Address).max(50).default([]),
  bcc: z.array(Address).max(50).default([]),
  smtp: Smtp,
})

export type EmailChannel = z.output<typeof EmailChannel>
