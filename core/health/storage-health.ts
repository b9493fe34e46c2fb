// Storage health with its dependencies: an export down is the one cause; the GFS volumes on it and
// the services on those are reported under it (parent hides children), not as failures of their own.

import type { HealthState } from '../events/index.ts'
import type { Inventory } from '../inventory/index.ts'
import type { ExportFacts, MountFacts } from '../plugin/index.ts'
import type { StorageFacts } from './live-facts.ts'
import type { HealthRow } from './rows.ts'

/** One `storage/<name>` row's state and detail, before timestamps. */
export interface StorageVerdict {
  state: HealthState
  detail: StorageDetail
}

/**
 * Export rows: `export` (its server's word). Volume rows: `mounts` and `imports` by node, the
 * nodes that can serve it (`usable`), and `cause`: the export whose failure explains the volume's
 * state (its mounts are then not failures of their own). Both list the services that depend on
 * them (`services`), so whoever reads a storage failure sees its blast radius.
 */
export interface StorageDetail extends Record<string, unknown> {
  kind: 'gnbd' | 'nbd' | 'gfs'
  services: string[]
  export?: ExportFacts['state']
  server?: string
  mounts?: Record<string, MountFacts['state']>
  imports?: Record<string, MountFacts['import']>
  usable?: string[]
  cause?: string
}

/** The verdict of every storage entry of the inventory from the facts reported so far. */
export function storageVerdicts(inv: Inventory, facts: StorageFacts): Map<string, StorageVerdict> {
  const out = new Map<string, StorageVerdict>()
  const users = (name: string) =>
    inv.config.services
      .filter((s) => s.storage.includes(name) || s.storage.some((v) => onExport(inv, v) === name))
      .map((s) => s.name)
  for (const entry of inv.config.storage) {
    if (entry.kind === 'gfs') continue
    const fact = facts.exports.get(entry.name)
    const state: HealthState = !fact
      ? 'unknown'
      : fact.state === 'exported'
        ? 'up'
        : fact.state === 'unreachable'
          ? 'unreachable'
          : 'down'
    out.set(entry.name, {
      state,
      detail: {
        kind: entry.kind,
        services: users(entry.name),
        server: entry.server,
        ...(fact ? { export: fact.state } : {}),
      },
    })
  }
  for (const volume of inv.config.storage) {
    if (volume.kind !== 'gfs') continue
    const parent = volume.on === undefined ? undefined : out.get(volume.on)
    const mounts: Record<string, MountFacts['state']> = {}
    const imports: Record<string, MountFacts['import']> = {}
    for (const node of volume.mounted_by) {
      const fact = facts.mounts.get(`${volume.name}/${node}`)
      if (!fact) continue
      mounts[node] = fact.state
      imports[node] = fact.import
    }
    const parentDown = parent && parent.state !== 'up' && parent.state !== 'unknown'
    const usable = parentDown
      ? []
      : volume.mounted_by.filter(
          // `local`: a volume on the node's own device (SAN, clustered LVM) imports nothing.
          (n) => mounts[n] === 'mounted' && (imports[n] === 'imported' || imports[n] === 'local'),
        )
    out.set(volume.name, {
      state: volumeState(
        volume.mounted_by.length,
        Object.keys(mounts).length,
        usable.length,
        !!parentDown,
      ),
      detail: {
        kind: 'gfs',
        services: users(volume.name),
        mounts,
        imports,
        usable,
        ...(parentDown ? { cause: volume.on } : {}),
      },
    })
  }
  return out
}

/** The row the engine writes for one storage entry. */
export function storageHealthRow(
  name: string,
  verdict: StorageVerdict,
  since: number,
  now: number,
): HealthRow {
  return {
    target: storageTarget(name),
    kind: 'storage',
    state: verdict.state,
    stateType: 'hard',
    flapping: false,
    since: Math.round(since),
    detail: { ...verdict.detail },
    flapHistory: null,
    updatedAt: Math.round(now),
  }
}

export const storageTarget = (name: string) => `storage/${name}`

/** The facts a stored storage row stands for, so a restart rewrites nothing. */
export function factsFromRows(rows: readonly HealthRow[], inv: Inventory): StorageFacts {
  const exports = new Map<string, ExportFacts>()
  const mounts = new Map<string, MountFacts>()
  for (const row of rows) {
    if (row.kind !== 'storage' || !row.detail) continue
    const name = row.target.slice('storage/'.length)
    const d = row.detail as Partial<StorageDetail>
    const entry = inv.storage(name)
    if (entry && entry.kind !== 'gfs' && d.export)
      exports.set(name, { state: d.export, server: d.server ?? entry.server })
    for (const [node, state] of Object.entries(d.mounts ?? {}))
      mounts.set(`${name}/${node}`, { state, import: d.imports?.[node] ?? 'missing' })
  }
  return { exports, mounts }
}

/**
 * `up` every mounter mounted and fed, `degraded` some not, `down` none (or its export is down:
 * the parent's failure), `unknown` until a mounter has reported.
 */
function volumeState(total: number, reported: number, usable: number, parentDown: boolean) {
  if (parentDown) return 'down' as const
  if (reported === 0) return 'unknown' as const
  if (usable === total) return 'up' as const
  return usable === 0 ? ('down' as const) : ('degraded' as const)
}

function onExport(inv: Inventory, name: string): string | undefined {
  const entry = inv.storage(name)
  return entry?.kind === 'gfs' ? entry.on : undefined
}
