// What the notifier is told when a policy starts waiting (`for:`) on an event: the story's first notice.
import { openWaitingIncident } from '../act/index.ts'
import type { PendingUpdate } from '../notify/index.ts'
import { incidentKey, type PolicyMatch } from '../policy/index.ts'
import type { Store } from '../store/index.ts'
import type { LeaderGuard } from './incident-pass.ts'

/**
 * Opens the incident a waiting match's run will join (its cause is the failure), so the pending
 * notice and every notice after it carry one incident id: one thread per failure episode.
 * Undefined when the cause cannot clear on its own (its incident opens with the run).
 *
 * @example
 * const incidentId = await openPendingIncident(store, match, guard)
 * await notifier.onPending(pendingUpdate(match, incidentId))
 */
export async function openPendingIncident(
  store: Store,
  match: PolicyMatch,
  guard: LeaderGuard,
): Promise<string | undefined> {
  const { event } = match
  return store.db.transaction(async (tx) => {
    await guard(tx)
    return openWaitingIncident(tx, {
      key: incidentKey(match),
      // The executor titles the incidents it opens the same way.
      title: `${event.type} ${event.subject}`,
      eventId: event.id,
      cause: event.type,
      subject: event.subject,
      now: Date.now(),
    })
  })
}

/**
 * The pending notice for a match that waits: the incident it opened, the key its run will use,
 * when it acts, and the names of the steps it will run.
 *
 * @example
 * for (const match of waiting) await notifier.onPending(pendingUpdate(match, incidentId))
 */
export function pendingUpdate(match: PolicyMatch, incidentId?: string): PendingUpdate {
  const { policy, event } = match
  return {
    ...(incidentId ? { incidentId } : {}),
    incidentKey: incidentKey(match),
    policy: policy.name,
    cause: { type: event.type, subject: event.subject },
    labels: event.labels,
    dueAt: event.at + (policy.forMs ?? 0),
    steps: policy.steps.map((step) => step.name),
    description: policy.description,
    channels: policy.notify.channels,
    notifyOn: policy.notify.on,
  }
}
