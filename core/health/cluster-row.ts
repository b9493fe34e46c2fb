// The cluster row: quorum and live members from the freshest membership view, written on change only.
import type { HealthState } from '../events/index.ts'
import type { CheckRecord } from './check-record.ts'
import type { HealthModel } from './model.ts'
import type { Transitions } from './transitions.ts'

/** The newest membership view among the cluster's vantage points. */
export function latestView(m: HealthModel): CheckRecord | undefined {
  let latest: CheckRecord | undefined
  for (const source of m.clusterViews)
    if (source.membership && (!latest || source.lastAt > latest.lastAt)) latest = source
  return latest
}

/** A member the cluster sees online and health judges up: back, whatever it went through. */
export function isLiveMember(m: HealthModel, name: string): boolean {
  return (
    latestView(m)?.membership?.members.get(name) === true && m.nodes.get(name)?.announced === 'up'
  )
}

/** Writes the cluster row from the freshest membership view, when quorum or members changed. */
export function clusterRow(m: HealthModel, out: Transitions): void {
  const latest = latestView(m)
  const view = latest?.membership
  if (!view && !m.clusterViews.every((source) => source.hard === 'down')) return
  const state: HealthState =
    view?.quorate === true ? 'up' : view?.quorate === false ? 'down' : 'unknown'
  const members = view
    ? [...view.members]
        .filter(([, live]) => live)
        .map(([name]) => name)
        .sort()
    : []
  const key = clusterKeyOf(state, members)
  if (key === m.clusterKey) return
  m.clusterKey = key
  out.cluster(state, { members, source: latest?.target.id ?? null })
}

/** What decides whether the cluster row changed: its state and its live members. */
export function clusterKeyOf(state: string, members: unknown): string {
  return `${state}|${Array.isArray(members) ? members.join(',') : ''}`
}
