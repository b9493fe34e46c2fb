// A webhook channel's `with:` block: where, how signed, which body format, and where it may connect.
import { SecretRef, z } from '../../core/plugin/index.ts'
import { allowEntryProblem, hostAllowed, metadataProblem, parseAllowList } from './allow.ts'

const Url = z.string().refine((value) => {
  if (SecretRef.safeParse(value).success) return true
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password
  } catch {
    return false
  }
}, 'expected an http(s) URL without credentials, or a secret reference (env:NAME, file:/path) holding one')

const AllowEntry = z.string().superRefine((entry, ctx) => {
  const problem = allowEntryProblem(entry)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})

export const WebhookChannel = z
  .strictObject({
    /** The receiver's URL; a secret reference when the URL itself is a credential (Slack). */
    url: Url,
    /** `whsec_…` secrets by reference; two during a rotation (each signs, receivers accept either). */
    secrets: z.array(SecretRef).max(4).default([]),
    /** `standard`: tandem's signed v1 payload; `alertmanager`: Alertmanager's webhook body; `slack`. */
    format: z.enum(['standard', 'alertmanager', 'slack']).default('standard'),
    /** Host names (`*.example.com`), IPs or CIDR ranges this channel may connect to. */
    allow: z.array(AllowEntry).min(1, 'list the hosts or ranges this webhook may reach'),
    /** Redirects (307/308 only) followed to the same host; never to another. */
    max_redirects: z.number().int().min(0).max(5).default(2),
  })
  .superRefine((channel, ctx) => {
    // A literal URL is checked here, at load: `tandem check` refuses what a send would refuse.
    const host = SecretRef.safeParse(channel.url).success ? undefined : hostOf(channel.url)
    if (host) {
      const problem =
        metadataProblem(host) ??
        (hostAllowed(parseAllowList(channel.allow), host.replace(/^\[|\]$/g, ''))
          ? undefined
          : `host ${host} is not on this channel's allow list (${channel.allow.join(', ')})`)
      if (problem) ctx.addIssue({ code: 'custom', path: ['url'], message: problem })
    }
    if (channel.format === 'standard' && channel.secrets.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['secrets'],
        message: 'the standard format is signed: reference at least one "whsec_…" secret',
      })
  })

export type WebhookChannel = z.output<typeof WebhookChannel>

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname
  } catch {
    return undefined
  }
}
