// What the notifier is told when a policy starts waiting (`for:`) on an event: the story's first notice.
import type { PendingUpdate } from '../notify/index.ts'
import { incidentKey, type PolicyMatch } from '../policy/index.ts'

/**
 * The pending notice for a match that waits: the incident key its run will open, when it acts,
 * and the names of the steps it will run.
 *
 * @example
 * for (const match of waiting) await notifier.onPending(pendingUpdate(match))
 */
export function pendingUpdate(match: PolicyMatch): PendingUpdate {
  const { policy, event } = match
  return {
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
