// Policy status in the store: active versions and errors (policy_states), config.invalid events.
import { insertEventOnce, type TandemEvent } from '../events/index.ts'
import { policyStates, type Store } from '../store/index.ts'
import type { FileState, Rejection } from './directory.ts'

/** The `config.invalid` event of a rejected policy file: it becomes a notice. */
export function invalidEvent(rejection: Rejection, at: number): TandemEvent {
  return {
    type: 'config.invalid',
    subject: rejection.file,
    at,
    labels: { severity: 'warning', file: rejection.file, kind: 'policy' },
    payload: {
      message: rejection.message,
      issues: rejection.issues,
      kept: rejection.kept
        ? 'the last good version of this policy stays active'
        : 'this policy is not loaded',
    },
  }
}

/**
 * Writes the policy states (what is active, the last error) to `policy_states`, and stores
 * each new `config.invalid` event once per broken text (its dedup key names file and hash).
 */
export async function saveStatus(
  store: Store | undefined,
  states: ReadonlyMap<string, FileState>,
  invalid: TandemEvent[],
): Promise<void> {
  if (!store) return
  const { db } = store
  await db.transaction(async (tx) => {
    await tx.delete(policyStates)
    const rows = [...states.values()].map((s) => ({
      file: s.file,
      name: s.policy?.name ?? null,
      hash: s.hash ?? null,
      loadedAt: s.loadedAt ?? null,
      lastError: s.error?.message ?? null,
      lastErrorAt: s.error?.at ?? null,
    }))
    if (rows.length > 0) await tx.insert(policyStates).values(rows)
    for (const event of invalid) {
      const hash = states.get(event.subject)?.error?.hash ?? ''
      const id = await insertEventOnce(tx, {
        ...event,
        dedupKey: `config.invalid:${event.subject}:${hash}`,
      })
      if (id !== undefined) event.id = id
    }
  })
}
