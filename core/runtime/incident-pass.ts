// The leader's share of the incident lifecycle: events resolve and re-open, the hold-down closes, notices go out.
import {
  applyIncidentEvent,
  closeQuietIncidents,
  owedResolvedNotices,
  resolvedNoticeQueued,
} from '../act/index.ts'
import { crashPoint } from '../crash-points.ts'
import type { TandemEvent } from '../events/index.ts'
import type { Notifier } from '../notify/index.ts'
import type { Db, Store } from '../store/index.ts'

/** Checks, inside a transaction, that this instance still leads (its fencing token). */
export type LeaderGuard = (tx: Pick<Db, 'select'>) => Promise<void>

/**
 * Applies one event to incidents and fence state (resolve, re-open, node rejoined) in its own
 * transaction, before policies see it: a replay after a crash finds it already applied.
 *
 * @example
 * for (const event of batch) await applyToIncidents(store, event, guard)
 */
export async function applyToIncidents(
  store: Store,
  event: TandemEvent,
  guard: LeaderGuard,
): Promise<void> {
  const now = Date.now()
  await store.db.transaction(async (tx) => {
    await guard(tx)
    await applyIncidentEvent(tx, event, now)
  })
  crashPoint('incident.applied')
}

/**
 * Once per leader pass: closes incidents that stayed resolved past the hold-down, and queues
 * the "resolved" notice each resolved incident is owed (the notifier dedups by incident, so a
 * crash between queuing and recording it sends nothing twice).
 */
export async function incidentHousekeeping(
  store: Store,
  notifier: Pick<Notifier, 'incidentResolved'>,
  holdDownMs: number,
  guard: LeaderGuard,
): Promise<void> {
  const now = Date.now()
  const owed = await store.db.transaction(async (tx) => {
    await guard(tx)
    return owedResolvedNotices(tx)
  })
  for (const incident of owed) {
    await notifier.incidentResolved({
      incidentId: incident.id,
      title: incident.title,
      at: incident.resolvedAt,
    })
    crashPoint('incident.resolved')
    await store.db.transaction(async (tx) => {
      await guard(tx)
      await resolvedNoticeQueued(tx, incident.id, now)
    })
  }
  const closed = await store.db.transaction(async (tx) => {
    await guard(tx)
    return closeQuietIncidents(tx, now, holdDownMs)
  })
  if (closed.length > 0) crashPoint('incident.closed')
}
