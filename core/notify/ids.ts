// Identifiers: notice ids (time-ordered, unique across instances) and row revisions.
import { randomBytes } from 'node:crypto'

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/**
 * A new notice id, `ntc_` + a ULID (time first, so ids sort by creation). It is the
 * `webhook-id` and the mail's Message-ID, and never changes across retries.
 *
 * @example
 * noticeId(Date.now()) // 'ntc_01J9Z3K4W5X6Y7Z8A9B0C1D2E3'
 */
export function noticeId(now: number): string {
  let time = ''
  let t = Math.max(0, Math.floor(now))
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time
    t = Math.floor(t / 32)
  }
  let random = ''
  for (const byte of randomBytes(16)) random += CROCKFORD[byte % 32]
  return `ntc_${time}${random}`
}

/** A fresh revision token for optimistic concurrency between instances sharing one store. */
export function newRev(): string {
  return randomBytes(9).toString('base64url')
}
