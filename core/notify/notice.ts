// Builds notices: one per group flush, per incident thread moment, per escalation.
import type { Notice, NoticeEvent } from '../plugin/index.ts'
import { maxSeverity, type Severity, severityOf } from './alert.ts'
import { approvalPhrase, approvalSummary } from './approval.ts'
import type { AlertSnapshot, GroupState } from './groups.ts'
import { noticeId } from './ids.ts'
import type { ThreadState } from './tables.ts'

const MAX_TITLES = 3

/** A group's notice: every firing alert and the resolved ones not told yet. */
export function groupNotice(
  group: GroupState,
  send: { firing: AlertSnapshot[]; resolved: AlertSnapshot[] },
  now: number,
  publicUrl: string | undefined,
): Notice {
  const alerts = [...send.firing, ...send.resolved]
  const status = send.firing.length > 0 ? 'firing' : 'resolved'
  const shown = status === 'firing' ? send.firing : send.resolved
  return {
    id: noticeId(now),
    receiver: group.receiver,
    groupKey: group.key,
    status,
    severity: maxSeverity(shown.map((a) => severityOf(a.labels.severity))),
    title: titleOf(shown),
    summary: summaryOf(send.firing, send.resolved),
    labels: commonLabels(alerts.map((a) => a.labels)),
    groupLabels: group.labels,
    events: alerts.map(eventOf),
    actions: [],
    refused: [],
    links: dashboardLinks(publicUrl),
    createdAt: now,
  }
}

/** One moment of an incident thread (handling, outcome, reminder, resolved) for one receiver. */
export function threadNotice(
  thread: ThreadState,
  receiver: string,
  alerts: AlertSnapshot[],
  options: { status: 'firing' | 'resolved'; reminder?: boolean; opensThread?: boolean },
  now: number,
  publicUrl: string | undefined,
): Notice {
  const outcome = thread.phase
  const labels = { ...thread.labels, outcome }
  const links = incidentLinks(publicUrl, thread.key)
  const waitingOver = options.status === 'resolved' && outcome === 'pending'
  const approval = waitingOver ? undefined : approvalPhrase(thread, links[0]?.url)
  const phrase = approval ?? phraseOf(thread, options.status, now)
  const done =
    options.status === 'resolved' && outcome !== 'handling' && outcome !== 'pending'
      ? ' — resolved'
      : ''
  const again = options.reminder ? ' (still unresolved)' : ''
  return {
    id: noticeId(now),
    receiver,
    groupKey: `thread/${receiver}/${thread.detail.story ?? thread.key}`,
    status: options.status,
    severity:
      outcome === 'succeeded' || outcome === 'held'
        ? 'warning'
        : severityOf(thread.labels.severity),
    title: `${thread.title}: ${phrase}${done}${again}`,
    summary:
      thread.detail.summary ??
      (waitingOver ? undefined : approvalSummary(thread, links[0]?.url)) ??
      pendingSummary(thread) ??
      `${phrase} (run ${thread.runId || 'not started'})`,
    labels,
    events: alerts.map(eventOf),
    actions: thread.detail.steps,
    refused: thread.detail.refused,
    links,
    outcome,
    incident: {
      id: thread.key,
      ...(thread.runId ? { runId: thread.runId } : {}),
      policy: thread.policy,
    },
    ...(options.opensThread ? { opensThread: true } : {}),
    createdAt: now,
  }
}

/** Something a human must look at now; never muted. */
export function escalationNotice(
  escalation: {
    incidentId: string
    runId?: string
    severity: Severity
    title: string
    detail: string
    labels: Record<string, string>
    steps?: Notice['actions']
    refused?: Notice['refused']
    policy?: string
  },
  receiver: string,
  now: number,
  publicUrl: string | undefined,
): Notice {
  return {
    id: noticeId(now),
    receiver,
    groupKey: `escalation/${receiver}/${escalation.incidentId}`,
    status: 'firing',
    severity: escalation.severity,
    title: escalation.title,
    summary: escalation.detail,
    labels: { ...escalation.labels, outcome: 'escalated' },
    events: [],
    actions: escalation.steps ?? [],
    refused: escalation.refused ?? [],
    links: incidentLinks(publicUrl, escalation.incidentId),
    outcome: 'escalated',
    incident: { id: escalation.incidentId, runId: escalation.runId, policy: escalation.policy },
    createdAt: now,
  }
}

const PHASE_PHRASE: Record<Exclude<ThreadState['phase'], 'pending'>, (policy: string) => string> = {
  handling: (p) => `tandem is handling it (${runner(p)})`,
  succeeded: (p) => `${runner(p)} succeeded`,
  failed: (p) => `${runner(p)} FAILED, a human is needed`,
  blocked: (p) => `${runner(p)} was blocked`,
  held: (p) => `tandem holds back (${runner(p)}); further decisions go to the audit only`,
}

/** "policy node-down-failover"; a run by hand (`tandem exec`, the API) is "the action". */
function runner(policy: string): string {
  return policy === 'manual' ? 'the action' : `policy ${policy}`
}

/** What the notice says tandem is doing; a pending thread says what it will do, and when. */
function phraseOf(thread: ThreadState, status: 'firing' | 'resolved', now: number): string {
  if (thread.phase !== 'pending') return PHASE_PHRASE[thread.phase](thread.policy)
  if (status === 'resolved') return 'it recovered before tandem acted; nothing was done'
  const plan = thread.detail.pending
  if (!plan) return `policy ${thread.policy} will act unless it recovers`
  const wait = Math.round((plan.dueAt - now) / 1000)
  const when = wait >= 1 ? `in ${wait} s unless it recovers` : 'unless it has just recovered'
  return `${when}, tandem will ${intentOf(plan, thread.policy)}`
}

/** The policy's description in lower case ("fence a dead cluster node, then ..."), else its steps. */
function intentOf(plan: { steps: string[]; description?: string }, policy: string): string {
  const said = plan.description?.trim().replace(/\.$/, '')
  if (said) return `${said.charAt(0).toLowerCase()}${said.slice(1)}`
  return plan.steps.length > 0 ? listOf(plan.steps) : `run policy ${policy}`
}

/** What a pending notice's body says: the policy, its wait, and every step it will run. */
export function pendingSummary(thread: ThreadState): string | undefined {
  const plan = thread.detail.pending
  if (thread.phase !== 'pending' || !plan) return undefined
  const steps = plan.steps.map((step, i) => `${i + 1}. ${step}`).join('; ')
  return `Policy ${thread.policy} acts at ${new Date(plan.dueAt).toISOString()} unless the cause clears first: ${steps}.`
}

/** "a, b and c" */
function listOf(items: string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

function eventOf(alert: AlertSnapshot): NoticeEvent {
  return {
    type: alert.type,
    subject: alert.subject,
    at: alert.startsAt,
    detail: alert.detail ? `${alert.title}: ${alert.detail}` : alert.title,
    status: alert.status,
    labels: alert.labels,
    endedAt: alert.endsAt,
  }
}

function titleOf(alerts: AlertSnapshot[]): string {
  if (alerts.length === 1) return alerts[0]!.title
  const titles = alerts.slice(0, MAX_TITLES).map((a) => a.title)
  const more = alerts.length > MAX_TITLES ? ` and ${alerts.length - MAX_TITLES} more` : ''
  return `${alerts.length} alerts: ${titles.join(', ')}${more}`
}

function summaryOf(firing: AlertSnapshot[], resolved: AlertSnapshot[]): string {
  const count = (alerts: AlertSnapshot[]) => {
    const byType = new Map<string, number>()
    for (const a of alerts) byType.set(a.type, (byType.get(a.type) ?? 0) + 1)
    return [...byType].map(([type, n]) => `${n} ${type}`).join(', ')
  }
  const parts: string[] = []
  if (firing.length > 0) parts.push(`${firing.length} firing (${count(firing)})`)
  if (resolved.length > 0) parts.push(`${resolved.length} resolved (${count(resolved)})`)
  return parts.join('; ')
}

function commonLabels(all: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = all
  if (!first) return {}
  return Object.fromEntries(
    Object.entries(first).filter(([k, v]) => rest.every((labels) => labels[k] === v)),
  )
}

function dashboardLinks(publicUrl: string | undefined): Notice['links'] {
  return publicUrl ? [{ label: 'dashboard', url: joinUrl(publicUrl, '/') }] : []
}

function incidentLinks(publicUrl: string | undefined, incident: string): Notice['links'] {
  if (!publicUrl) return []
  return [
    { label: 'incident', url: joinUrl(publicUrl, `/incidents/${encodeURIComponent(incident)}`) },
  ]
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`
}
