// Reading and writing the notify tables: groups, alerts and incident threads, each write guarded by rev.
import { and, eq, inArray, isNull, lte } from 'drizzle-orm'
import { type Db, notifyAlerts, notifyGroups, notifyThreads } from '../store/index.ts'
import type { ApprovalNote } from './approval.ts'
import type { AlertSnapshot, GroupState } from './groups.ts'
import { newRev } from './ids.ts'
import type { Write } from './write.ts'

/** An alert as the store keeps it between events. */
export type AlertRow = typeof notifyAlerts.$inferSelect

/**
 * `pending`: a policy waits (its `for:`) before acting; `held`: a guard (cooldown, rate) held the
 * decision back, which goes to the audit, not to people.
 */
export type Phase = 'pending' | 'handling' | 'succeeded' | 'failed' | 'blocked' | 'held'

/** One incident's notice thread. */
export interface ThreadState {
  key: string
  runId: string
  policy: string
  phase: Phase
  title: string
  labels: Record<string, string>
  covers: Record<string, string>
  receivers: string[]
  alerts: string[]
  detail: ThreadDetail
  openedAt: number
  updatedAt: number
  remindAt: number | null
  rev: string | null
}

/** What the last run update said: steps, refusals, and whether it was a dry run. */
export interface ThreadDetail {
  steps: { step: string; uses: string; status: string; detail: string }[]
  refused: { what: string; guard: string; reason: string }[]
  summary?: string
  dryRun?: boolean
  /** The key the thread's first notice went out under: later notices thread under it too. */
  story?: string
  /** People were told "tandem is handling it" once: a run going on after an approval says no more. */
  handled?: boolean
  /** A pending thread: when the policy acts unless the cause clears, and what it will do. */
  pending?: { dueAt: number; steps: string[]; description?: string }
  /** The approvals the run waits on (phase pending), or the one refused that stopped it. */
  approvals?: ApprovalNote[]
}

export async function loadGroups(db: Db, keys: string[]): Promise<Map<string, GroupState>> {
  if (keys.length === 0) return new Map()
  const rows: (typeof notifyGroups.$inferSelect)[] = []
  for (const chunk of chunks(keys))
    rows.push(...(await db.select().from(notifyGroups).where(inArray(notifyGroups.key, chunk))))
  return new Map(rows.map((row) => [row.key, groupFromRow(row)]))
}

export async function dueGroups(db: Db, now: number, limit: number): Promise<GroupState[]> {
  const rows = await db
    .select()
    .from(notifyGroups)
    .where(lte(notifyGroups.dueAt, now))
    .orderBy(notifyGroups.dueAt)
    .limit(limit)
  return rows.map(groupFromRow)
}

export async function loadAlerts(db: Db, keys: string[]): Promise<Map<string, AlertRow>> {
  const rows: AlertRow[] = []
  for (const chunk of chunks(keys))
    rows.push(...(await db.select().from(notifyAlerts).where(inArray(notifyAlerts.key, chunk))))
  return new Map(rows.map((row) => [row.key, row]))
}

export async function loadThreads(db: Db, key?: string): Promise<ThreadState[]> {
  const query = db.select().from(notifyThreads)
  const rows = await (key === undefined ? query : query.where(eq(notifyThreads.key, key)))
  return rows.map(threadFromRow)
}

/** Firing alerts no thread has absorbed yet (candidates for a new remediation thread). */
export async function unthreadedAlerts(db: Db): Promise<AlertRow[]> {
  return db
    .select()
    .from(notifyAlerts)
    .where(and(eq(notifyAlerts.status, 'firing'), isNull(notifyAlerts.thread)))
}

export async function remindableThreads(db: Db, now: number): Promise<ThreadState[]> {
  const rows = await db.select().from(notifyThreads).where(lte(notifyThreads.remindAt, now))
  return rows.filter((row) => row.remindAt !== null).map(threadFromRow)
}

/**
 * Statements that store `group` (insert, guarded update, or delete when `null` next state).
 * Returns the writes and the revision the row will carry afterwards.
 */
export function saveGroup(group: GroupState, next: GroupState | null): Write[] {
  if (!next) {
    if (group.rev === null) return []
    return [
      {
        stmt: {
          sql: 'DELETE FROM notify_groups WHERE key = ? AND rev = ?',
          args: [group.key, group.rev],
        },
        guard: true,
      },
    ]
  }
  const rev = newRev()
  const values = [
    next.receiver,
    JSON.stringify(next.labels),
    next.firstAt,
    next.lastSentAt,
    next.lastHash,
    JSON.stringify(next.alerts),
    next.alerts.every((a) => a.status === 'resolved') ? 1 : 0,
    next.route,
    next.dueAt,
    rev,
  ]
  if (group.rev === null)
    return [
      {
        stmt: {
          sql: `INSERT INTO notify_groups (receiver, labels, first_at, last_sent_at, last_hash, pending, resolved, route, due_at, rev, key)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
          args: [...values, next.key],
        },
        guard: true,
      },
    ]
  return [
    {
      stmt: {
        sql: `UPDATE notify_groups SET receiver = ?, labels = ?, first_at = ?, last_sent_at = ?, last_hash = ?,
                pending = ?, resolved = ?, route = ?, due_at = ?, rev = ? WHERE key = ? AND rev = ?`,
        args: [...values, next.key, group.rev],
      },
      guard: true,
    },
  ]
}

/** Upserts an alert row (last writer wins: every writer computed it from the same event). */
export function saveAlert(row: AlertRow): Write {
  return {
    stmt: {
      sql: `INSERT INTO notify_alerts (key, status, labels, title, detail, starts_at, ends_at, groups, thread, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (key) DO UPDATE SET status = excluded.status, labels = excluded.labels,
              title = excluded.title, detail = excluded.detail, starts_at = excluded.starts_at,
              ends_at = excluded.ends_at, groups = excluded.groups, thread = excluded.thread,
              updated_at = excluded.updated_at`,
      args: [
        row.key,
        row.status,
        JSON.stringify(row.labels),
        row.title,
        row.detail,
        row.startsAt,
        row.endsAt,
        JSON.stringify(row.groups),
        row.thread,
        row.updatedAt,
      ],
    },
  }
}

/** Resolved alerts are kept a while (a retried write re-applies them), then forgotten. */
export function pruneAlerts(before: number): Write {
  return {
    stmt: {
      sql: "DELETE FROM notify_alerts WHERE status = 'resolved' AND updated_at < ?",
      args: [before],
    },
  }
}

/** Statements that store a thread (insert, guarded update, or delete when `next` is null). */
export function saveThread(
  thread: ThreadState,
  next: ThreadState | null,
): { writes: Write[]; rev: string | null } {
  if (!next) {
    if (thread.rev === null) return { writes: [], rev: null }
    const stmt = {
      sql: 'DELETE FROM notify_threads WHERE key = ? AND rev = ?',
      args: [thread.key, thread.rev],
    }
    return { writes: [{ stmt, guard: true }], rev: null }
  }
  const rev = newRev()
  const cols = [
    next.runId,
    next.policy,
    next.phase,
    next.title,
    JSON.stringify(next.labels),
    JSON.stringify(next.covers),
    JSON.stringify(next.receivers),
    JSON.stringify(next.alerts),
    JSON.stringify(next.detail),
    next.openedAt,
    next.updatedAt,
    next.remindAt,
    rev,
    next.key,
  ]
  const sql =
    thread.rev === null
      ? `INSERT INTO notify_threads (run_id, policy, phase, title, labels, covers, receivers, alerts, detail,
           opened_at, updated_at, remind_at, rev, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (key) DO NOTHING`
      : `UPDATE notify_threads SET run_id = ?, policy = ?, phase = ?, title = ?, labels = ?, covers = ?,
           receivers = ?, alerts = ?, detail = ?, opened_at = ?, updated_at = ?, remind_at = ?, rev = ?
           WHERE key = ? AND rev = ?`
  const args = thread.rev === null ? cols : [...cols, thread.rev]
  return { writes: [{ stmt: { sql, args }, guard: true }], rev }
}

/** The snapshot a group keeps of an alert row. */
export function snapshotOf(row: AlertRow, oneshot = false): AlertSnapshot {
  return {
    key: row.key,
    type: row.labels.event ?? row.key.split(':')[0] ?? '',
    subject: row.key.slice(row.key.indexOf(':') + 1),
    status: row.status === 'resolved' ? 'resolved' : 'firing',
    labels: row.labels,
    title: row.title,
    detail: row.detail,
    startsAt: row.startsAt,
    endsAt: row.endsAt ?? undefined,
    oneshot: oneshot || undefined,
  }
}

function groupFromRow(row: typeof notifyGroups.$inferSelect): GroupState {
  return {
    key: row.key,
    receiver: row.receiver,
    route: row.route,
    labels: row.labels,
    firstAt: row.firstAt,
    lastSentAt: row.lastSentAt,
    lastHash: row.lastHash,
    alerts: row.pending as unknown as AlertSnapshot[],
    dueAt: row.dueAt,
    rev: row.rev,
  }
}

function threadFromRow(row: typeof notifyThreads.$inferSelect): ThreadState {
  return {
    key: row.key,
    runId: row.runId,
    policy: row.policy,
    phase: row.phase as Phase,
    title: row.title,
    labels: row.labels,
    covers: row.covers,
    receivers: row.receivers,
    alerts: row.alerts,
    detail: row.detail as unknown as ThreadDetail,
    openedAt: row.openedAt,
    updatedAt: row.updatedAt,
    remindAt: row.remindAt,
    rev: row.rev,
  }
}

function chunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
