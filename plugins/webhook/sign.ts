// Standard Webhooks signatures: `v1,<base64 HMAC-SHA256(id.timestamp.body)>`, one per secret.
import { createHmac } from 'node:crypto'

const PREFIX = 'whsec_'

/**
 * The `webhook-signature` header: one `v1,<sig>` per secret, space separated (several secrets
 * during a rotation, so receivers on the old or the new one both verify).
 *
 * @example
 * signatureHeader('ntc_01…', 1718000000, '{"a":1}', ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'])
 */
export function signatureHeader(
  id: string,
  timestampSeconds: number,
  body: string,
  secrets: readonly string[],
): string {
  const content = `${id}.${timestampSeconds}.${body}`
  return secrets
    .map(
      (secret) => `v1,${createHmac('sha256', secretKey(secret)).update(content).digest('base64')}`,
    )
    .join(' ')
}

/** The HMAC key of a `whsec_<base64>` secret; throws with a message that never shows the secret. */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0)
    throw new Error('a webhook secret must be "whsec_" followed by base64 (24 to 64 random bytes)')
  const key = Buffer.from(encoded, 'base64')
  if (key.length < 16) throw new Error('a webhook secret must hold at least 16 random bytes')
  return key
}
