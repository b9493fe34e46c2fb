// The durable outbox: notices are stored before any send, claimed atomically, settled by attempt.
import type { Client } from '@libsql/client'
import type { Notice } from '../plugin/index.ts'
import type { Write } from './write.ts'

export type OutboxStatus = 'pending' | 'delivering' | 'delivered' | 'dead' | 'muted'

/** A claimed row: the notice and the attempt number this claim owns. */
export interface ClaimedNotice {
  notice: Notice
  attempts: number
  createdAt: number
}

/** Only write the notice if the row it came from still has this revision (same transaction). */
export interface Guard {
  table: 'notify_groups' | 'notify_threads'
  key: string
  rev: string
}

/**
 * The statement that stores a notice. `status` is `pending` for delivery, `muted` (a silence
 * held it) or `dead` (its receiver is disabled): either way the notice is on record.
 */
export function enqueue(
  notice: Notice,
  now: number,
  options: { status?: OutboxStatus; reason?: string; guard?: Guard } = {},
): Write {
  const values = [
    notice.id,
    notice.receiver,
    notice.groupKey,
    JSON.stringify(notice),
    options.status ?? 'pending',
    now,
    options.reason ?? null,
    now,
  ]
  const columns =
    'id, receiver, group_key, payload, status, attempts, next_attempt_at, last_error, created_at'
  if (!options.guard)
    return {
      stmt: {
        sql: `INSERT INTO outbox (${columns}) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        args: values,
      },
    }
  const { table, key, rev } = options.guard
  return {
    stmt: {
      sql: `INSERT INTO outbox (${columns}) SELECT ?, ?, ?, ?, ?, 0, ?, ?, ?
            WHERE EXISTS (SELECT 1 FROM ${table} WHERE key = ? AND rev = ?)`,
      args: [...values, key, rev],
    },
  }
}

/**
 * Claims up to `limit` due notices in one statement, so two instances never claim the same row.
 * A row is due when pending and its time has come, or when a claim on it expired (its claimer
 * died mid-delivery). Within one receiver's group, only the oldest unsettled notice is due:
 * notices arrive in order.
 */
export async function claimDue(
  client: Client,
  now: number,
  leaseMs: number,
  limit: number,
): Promise<ClaimedNotice[]> {
  const result = await client.execute({
    sql: `UPDATE outbox SET status = 'delivering', attempts = attempts + 1, next_attempt_at = ?
          WHERE id IN (
            SELECT o.id FROM outbox o
            WHERE o.status IN ('pending', 'delivering') AND o.next_attempt_at <= ?
              AND NOT EXISTS (
                SELECT 1 FROM outbox p
                WHERE p.group_key = o.group_key AND p.receiver = o.receiver AND p.rowid < o.rowid
                  AND p.status IN ('pending', 'delivering'))
            ORDER BY o.next_attempt_at, o.rowid LIMIT ?)
          RETURNING payload, attempts, created_at`,
    args: [now + leaseMs, now, limit],
  })
  return result.rows
    .map((row) => ({
      notice: JSON.parse(String(row.payload)) as Notice,
      attempts: Number(row.attempts),
      createdAt: Number(row.created_at),
    }))
    .sort((a, b) => a.createdAt - b.createdAt)
}

/** How one claimed attempt ended. */
export type Settlement =
  | { id: string; attempts: number; outcome: 'delivered'; at: number }
  | { id: string; attempts: number; outcome: 'retry'; at: number; nextAt: number; detail: string }
  | { id: string; attempts: number; outcome: 'dead'; at: number; detail: string }

/**
 * Pushes the lease of claims still being sent to `until`, so no other claimer takes a notice
 * whose delivery is slow rather than lost. Only rows this claim still owns move.
 */
export function extendClaims(
  claims: readonly { id: string; attempts: number }[],
  until: number,
): Write[] {
  return claims.map((c) => ({
    stmt: {
      sql: "UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND status = 'delivering' AND attempts = ?",
      args: [until, c.id, c.attempts],
    },
  }))
}

/**
 * The statement recording an attempt's end. A failure only applies while this claim still owns
 * the row (same attempt number): a claimer whose lease ran out cannot overwrite a newer attempt.
 * A delivery is recorded whoever owns the row now (idempotent): the receiver has it, so a newer
 * attempt must not send it again, nor record it as failed.
 */
export function settle(s: Settlement): Write {
  const owner = "WHERE id = ? AND status = 'delivering' AND attempts = ?"
  if (s.outcome === 'delivered')
    return {
      stmt: {
        sql: `UPDATE outbox SET status = 'delivered', delivered_at = ?, last_error = NULL
              WHERE id = ? AND status IN ('pending', 'delivering', 'dead') AND delivered_at IS NULL`,
        args: [s.at, s.id],
      },
    }
  if (s.outcome === 'retry')
    return {
      stmt: {
        sql: `UPDATE outbox SET status = 'pending', next_attempt_at = ?, last_error = ? ${owner}`,
        args: [s.nextAt, s.detail, s.id, s.attempts],
      },
    }
  return {
    stmt: {
      sql: `UPDATE outbox SET status = 'dead', last_error = ? ${owner}`,
      args: [s.detail, s.id, s.attempts],
    },
  }
}

/** Every pending notice of a receiver that was disabled becomes a visible dead letter. */
export function killPending(receiver: string, reason: string): Write {
  return {
    stmt: {
      sql: "UPDATE outbox SET status = 'dead', last_error = ? WHERE receiver = ? AND status = 'pending'",
      args: [reason, receiver],
    },
  }
}

/** Delivered and muted notices are kept for `keepMs`, dead letters four times as long. */
export function pruneOutbox(now: number, keepMs: number): Write {
  return {
    stmt: {
      sql: `DELETE FROM outbox WHERE (status IN ('delivered', 'muted') AND created_at < ?)
              OR (status = 'dead' AND created_at < ?)`,
      args: [now - keepMs, now - 4 * keepMs],
    },
  }
}
