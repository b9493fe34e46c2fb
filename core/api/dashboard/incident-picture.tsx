// An incident drawn on one time axis: the event, the policy's `for:` wait, each step with its duration and outcome, the resolution.
/** @jsxImportSource hono/jsx */
import type { IncidentDetail } from '../views/incident-detail.ts'

/** One bar (or a point, when `to` is undefined) on its own lane. */
export interface Lane {
  kind: 'event' | 'wait' | 'step' | 'verify' | 'resolved'
  label: string
  from: number
  to?: number
  /** `succeeded`, `failed`, `skipped`, `running` …: the bar's colour. */
  status: string
}

const WIDTH = 640
const LABEL = 230
const ROW = 22

/**
 * The lanes of an incident, in time order: its cause event, every run's wait for its trigger to
 * hold (`for:`), every step that started (skipped steps too, as points), the verification a run
 * that succeeded passed, and the resolution.
 */
export function lanesOf(detail: IncidentDetail, now: number): Lane[] {
  const { incident } = detail
  const lanes: Lane[] = []
  const cause = detail.evidence.find((e) => e.type === incident.cause) ?? detail.evidence.at(-1)
  if (cause)
    lanes.push({
      kind: 'event',
      label: `${cause.type} ${cause.subject}`,
      from: cause.at,
      status: 'failed',
    })
  for (const run of detail.runs) {
    const at = triggerAt(run.trigger)
    if (at !== undefined && run.startedAt - at >= 1_000)
      lanes.push({
        kind: 'wait',
        label: `${run.policy} waits (for:) ${seconds(run.startedAt - at)}`,
        from: at,
        to: run.startedAt,
        status: 'waiting',
      })
    for (const step of run.steps) {
      const from = step.startedAt ?? step.finishedAt
      if (from === null) continue
      const to = step.finishedAt ?? (step.status === 'running' ? now : from)
      lanes.push({
        kind: 'step',
        label: `${step.name} · ${seconds(to - from)} · ${step.status}`,
        from,
        to,
        status: step.status,
      })
    }
    if (run.status === 'succeeded' && run.finishedAt)
      lanes.push({
        kind: 'verify',
        label: 'verified: every step read back',
        from: run.finishedAt,
        status: 'succeeded',
      })
  }
  if (incident.resolvedAt)
    lanes.push({
      kind: 'resolved',
      label: 'resolved',
      from: incident.resolvedAt,
      status: 'succeeded',
    })
  return lanes
}

/** The lanes as an SVG picture; nothing when the incident has nothing on its time axis yet. */
export function IncidentPicture({ detail, now }: { detail: IncidentDetail; now: number }) {
  const lanes = lanesOf(detail, now)
  if (lanes.length === 0) return null
  const start = Math.min(...lanes.map((l) => l.from))
  const end = Math.max(start + 1_000, ...lanes.map((l) => l.to ?? l.from))
  const x = (t: number) => LABEL + ((t - start) / (end - start)) * (WIDTH - LABEL - 12)
  const height = lanes.length * ROW + 24
  return (
    <svg
      class="incident-picture"
      role="img"
      aria-label={`timeline of ${detail.incident.title}`}
      viewBox={`0 0 ${WIDTH} ${height}`}
      width="100%"
    >
      {lanes.map((lane, i) => {
        const y = i * ROW + 4
        const from = x(lane.from)
        return (
          <g
            class={`lane k-${lane.kind} s-${lane.status.replace(/[^a-z_-]/g, '')}`}
            data-lane={lane.kind}
          >
            <text x={4} y={y + 14}>
              {lane.label}
            </text>
            {lane.to === undefined ? (
              <circle cx={from} cy={y + 9} r={6} />
            ) : (
              <rect x={from} y={y + 2} width={Math.max(3, x(lane.to) - from)} height={14} rx={3} />
            )}
          </g>
        )
      })}
      <text class="axis" x={LABEL} y={height - 4}>
        0 s
      </text>
      <text class="axis" x={WIDTH - 12} y={height - 4} text-anchor="end">
        {seconds(end - start)}
      </text>
    </svg>
  )
}

function triggerAt(trigger: unknown): number | undefined {
  const event = (trigger as { event?: { at?: unknown } } | null)?.event
  return typeof event?.at === 'number' ? event.at : undefined
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`
}
