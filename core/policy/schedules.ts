// `schedule:` triggers: one node-cron task per cron line, each raising a `schedule` event.
import { createTask, type ScheduledTask } from 'node-cron'
import type { TandemEvent } from '../events/index.ts'
import type { Logger } from '../plugin/index.ts'
import type { CompiledPolicy } from './compile.ts'

/** The running cron tasks; `update` replaces them when the policies change. */
export interface Schedules {
  update(policies: readonly CompiledPolicy[]): void
  close(): Promise<void>
}

/**
 * Runs the schedule triggers of the loaded policies. Each firing is a `schedule` event whose
 * subject is the policy name, handed to `emit` (the daemon feeds it through `match`).
 *
 * @example
 * const schedules = createSchedules((event) => void policySet.match(event), log)
 * schedules.update(policySet.policies())
 */
export function createSchedules(emit: (event: TandemEvent) => void, log?: Logger): Schedules {
  let tasks = new Map<string, ScheduledTask>()
  const stop = async (task: ScheduledTask) => {
    await task.destroy()
  }
  return {
    update(policies) {
      const wanted = new Map<string, { policy: string; schedule: string; timezone?: string }>()
      for (const policy of policies) {
        if (!policy.enabled) continue
        for (const s of policy.schedules)
          wanted.set(`${policy.name}|${s.schedule}|${s.timezone ?? ''}`, {
            policy: policy.name,
            ...s,
          })
      }
      const next = new Map<string, ScheduledTask>()
      for (const [key, task] of tasks) {
        if (wanted.has(key)) next.set(key, task)
        else void stop(task)
      }
      for (const [key, spec] of wanted) {
        if (next.has(key)) continue
        const task = createTask(
          spec.schedule,
          (context) => {
            emit({
              type: 'schedule',
              subject: spec.policy,
              at: context.date.getTime(),
              labels: { severity: 'info', policy: spec.policy },
              payload: { schedule: spec.schedule },
            })
          },
          { name: `policy:${spec.policy}`, timezone: spec.timezone, noOverlap: true },
        )
        task.start()
        next.set(key, task)
        log?.debug('[policy] schedule armed', { policy: spec.policy, schedule: spec.schedule })
      }
      tasks = next
    },
    async close() {
      await Promise.all([...tasks.values()].map(stop))
      tasks = new Map()
    },
  }
}
