// Standard Webhooks verification: HMAC-SHA256 over "id.timestamp.body", several secrets, a time tolerance.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { HttpError } from './http-error.ts'

export interface SignedHeaders {
  id: string | undefined
  timestamp: string | undefined
  signature: string | undefined
}

/**
 * Verifies a delivery signed per the Standard Webhooks spec (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature: v1,<base64>` …). Any of `secrets` (`whsec_<base64>`)
 * may match, so a sender can rotate. A timestamp outside the tolerance is refused (replays of
 * old deliveries); replays inside it are caught by the caller's seen-id check.
 *
 * @example
 * verifyStandardWebhook(['whsec_…'], headers, rawBody, Date.now(), 300_000)
 */
export function verifyStandardWebhook(
  secrets: readonly string[],
  headers: SignedHeaders,
  body: string,
  now: number,
  toleranceMs: number,
): { id: string; timestamp: number } {
  const { id, timestamp, signature } = checkSignedHeaders(headers, now, toleranceMs)
  const seconds = Number(timestamp)
  const signed = `${id}.${timestamp}.${body}`
  const offered = signature
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'))
  for (const secret of secrets) {
    const expected = createHmac('sha256', keyOf(secret)).update(signed).digest()
    if (offered.some((o) => o.length === expected.length && timingSafeEqual(o, expected)))
      return { id, timestamp: seconds }
  }
  throw unauthorized('no valid signature')
}

/**
 * The checks that need no body: the three headers present and well formed, the timestamp within
 * the tolerance. Run before a byte of the body is read, so a forged delivery costs nothing.
 */
export function checkSignedHeaders(
  headers: SignedHeaders,
  now: number,
  toleranceMs: number,
): { id: string; timestamp: string; signature: string } {
  const { id, timestamp, signature } = headers
  if (!id || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp))
    throw unauthorized('missing webhook-id, webhook-timestamp or webhook-signature')
  if (id.length > 256 || signature.length > 4096 || !/(^| )v1,[A-Za-z0-9+/=]+/.test(signature))
    throw unauthorized('malformed webhook-id or webhook-signature')
  if (Math.abs(now - Number(timestamp) * 1000) > toleranceMs)
    throw unauthorized('webhook-timestamp is outside the tolerance (stale or replayed delivery)')
  return { id, timestamp, signature }
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64')
}

function unauthorized(why: string): HttpError {
  return new HttpError(401, 'UNAUTHORIZED', `[ingest] ${why}`)
}
