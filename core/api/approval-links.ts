// Approval links for notices: HMAC-signed, expiring, and single-use (the approval row can be decided once).
import { createHmac, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { HttpError } from './http-error.ts'

export type Decision = 'approve' | 'deny'

export interface ApprovalLinkClaims {
  approvalId: string
  decision: Decision
  /** Epoch ms after which the link is refused, whatever the approval's own expiry. */
  expiresAt: number
}

const Claims = z.object({
  a: z.string().min(1),
  d: z.enum(['approve', 'deny']),
  e: z.number().int(),
})

const CONTEXT = 'tandem-approval-link-v1'

/**
 * Builds the URL a notice carries. Opening it shows a confirmation page (mail scanners that
 * prefetch links decide nothing); the button posts to the same URL. The signature covers the
 * approval id, the decision and the expiry; the approval can be decided only once.
 *
 * @example
 * const url = signApprovalLink({ secret, baseUrl: 'https://tandem.example', approvalId,
 *   decision: 'approve', expiresAt: Date.now() + 15 * 60_000 })
 */
export function signApprovalLink(
  input: ApprovalLinkClaims & { secret: string; baseUrl: string },
): string {
  const token = signApprovalToken(input.secret, input)
  return `${input.baseUrl.replace(/\/+$/, '')}/approve/${token}`
}

/** The token part of a link: `base64url(claims).base64url(hmac)`. */
export function signApprovalToken(secret: string, claims: ApprovalLinkClaims): string {
  requireSecret(secret)
  const body = Buffer.from(
    JSON.stringify({ a: claims.approvalId, d: claims.decision, e: claims.expiresAt }),
  ).toString('base64url')
  return `${body}.${mac(secret, body)}`
}

/**
 * Checks a link token: a bad signature is 403, an expired link 410. Single use is the
 * caller's part: decide the approval only while it is still pending.
 *
 * @example
 * const { approvalId, decision } = verifyApprovalLink(secret, token)
 */
export function verifyApprovalLink(
  secret: string,
  token: string,
  now: number = Date.now(),
): ApprovalLinkClaims {
  requireSecret(secret)
  const [body = '', signature = ''] = token.split('.')
  const expected = Buffer.from(mac(secret, body))
  const given = Buffer.from(signature)
  if (!body || given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new HttpError(403, 'FORBIDDEN', '[api] approval link signature does not match')
  let claims: z.output<typeof Claims>
  try {
    claims = Claims.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')))
  } catch (cause) {
    throw new HttpError(403, 'FORBIDDEN', '[api] approval link is malformed', { cause })
  }
  if (claims.e <= now) throw new HttpError(410, 'FORBIDDEN', '[api] approval link has expired')
  return { approvalId: claims.a, decision: claims.d, expiresAt: claims.e }
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(`${CONTEXT}.${body}`).digest('base64url')
}

function requireSecret(secret: string): void {
  if (!secret || secret.length < 16)
    throw new HttpError(
      503,
      'CONFIG_INVALID',
      '[api] approval links need a link secret of at least 16 characters',
    )
}
