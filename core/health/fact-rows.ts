// Live facts from plugin probes into rows: services whose facts moved, VMs, and storage verdicts.
import type { HealthState } from '../events/index.ts'
import type { LiveFacts } from '../plugin/index.ts'
import type { HealthModel } from './model.ts'
import { storageHealthRow, storageVerdicts } from './storage-health.ts'
import type { Transitions } from './transitions.ts'

/** What one batch's facts changed: the inventory's services and VMs, and whether storage did. */
export interface FactChanges {
  services: Set<string>
  vms: Set<string>
  storage: boolean
}

/** Takes a plugin probe's live facts; notes the inventory's services and VMs they changed. */
export function learnFacts(
  m: HealthModel,
  source: string,
  reported: LiveFacts | undefined,
  now: number,
  changed: FactChanges,
): void {
  const { services: names, vms, storage } = m.facts.apply(source, reported, now)
  if (storage) changed.storage = true
  for (const name of names) if (m.inventory.service(name)) changed.services.add(name)
  for (const name of vms) if (m.inventory.vm(name)) changed.vms.add(name)
}

/** A service row whose live facts changed while its health did not. */
export function serviceFactsRow(m: HealthModel, name: string, out: Transitions): void {
  const record = m.servicesByName.get(name)
  const bare = m.bareServices.get(name) ?? { state: 'unknown' as HealthState, since: out.now }
  m.bareServices.set(name, bare)
  const state = record ? record.announced : bare.state
  const since = (record ? record.since : bare.since) || out.now
  out.serviceRow(name, state, since, { ...record?.counts, ...m.facts.serviceDetail(name) })
}

/** Rewrites the storage rows whose verdict changed (an export's failure changes its volumes). */
export function storageRows(m: HealthModel, out: Transitions, now: number): void {
  for (const [name, verdict] of storageVerdicts(m.inventory, m.facts.storage())) {
    const row = storageHealthRow(name, verdict, now, now)
    const last = m.storageRows.get(row.target)
    const json = JSON.stringify(row.detail)
    if (last && last.state === row.state && last.json === json) continue
    const since = last && last.state === row.state ? last.since : now
    m.storageRows.set(row.target, { state: row.state, since, json })
    out.storage({ ...row, since: Math.round(since) })
  }
}
