// A remediation run's progress as notify hears it: the one shape threads, holds and the notifier share.
import type { Notice } from '../plugin/index.ts'
import type { ApprovalNote } from './approval.ts'

/**
 * How a remediation run is going, as the executor reports it. Structurally the executor's
 * `RunUpdate` (core/act); `title`, `summary` and `covers` are optional refinements.
 */
export interface RunUpdate {
  incidentId: string
  runId: string
  policy: string
  moment: 'started' | 'succeeded' | 'failed' | 'blocked'
  /** The trigger's labels (severity, node, service ...): routes and silences match on them. */
  labels: Record<string, string>
  /** Channels the policy names in `notify:` (in addition to what the routes pick). */
  channels?: string[]
  /** The moments the policy wants its `channels` told about (default: all); routes hear all. */
  notifyOn?: ('started' | 'succeeded' | 'failed' | 'blocked')[]
  steps?: Notice['actions']
  refused?: Notice['refused']
  dryRun?: boolean
  /** The problem in one line, e.g. "node node2 is down"; default from the labels. */
  title?: string
  summary?: string
  /** Alerts carrying all these labels belong to the incident; default node/service/vm labels. */
  covers?: Record<string, string>
  /** The run's incident key (`node.down:node2`): a pending story under it is continued. */
  incidentKey?: string
  /** The event that caused the run: the thread's headline names it ("node node2 is down"). */
  cause?: { type: string; subject: string }
  /** The run's approvals: one still pending makes a blocked run's story "pending" instead. */
  approvals?: ApprovalNote[]
}
