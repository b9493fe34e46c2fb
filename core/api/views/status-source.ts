// The cluster status per app, rebuilt only when what it shows changed in the store, from the rows that changed.
import { createHash } from 'node:crypto'
import type { InStatement, ResultSet } from '@libsql/client'
import type { Config, Inventory } from '../../inventory/index.ts'
import type { ApiContext } from '../deps.ts'
import { buildClusterStatus, type ClusterStatus, type FenceRow } from './cluster-status.ts'
import { applyHealthChanges, type HealthCopy, healthChanges } from './health-copy.ts'
import { type BuildMemo, createBuildMemo, statusJson } from './status-parts.ts'

/** One built status and what it was built from. */
export interface StatusView {
  /** Inventory, revision counters and counts the view was built from, read with its data. */
  readonly key: string
  readonly etag: string
  readonly status: ClusterStatus
  /** The JSON text, made on first use and kept with the view. */
  json(): string
}

interface Built {
  view: StatusView
  health: HealthCopy
  fences: FenceRow[]
  fenceRev: number
  config: Config
  memo: BuildMemo
}

interface State {
  built?: Built
  /** The rebuild under way: one at a time per app, so the snapshot is updated in place. */
  rebuilding?: Promise<Built>
}

const states = new WeakMap<ApiContext, State>()

/**
 * The status as the store holds it now. One small query (revision counters kept by triggers,
 * plus counts) tells whether the last view is current; when it is not, one read transaction
 * fetches only the health rows changed since (and the fence rows if they changed) and the view
 * is built again. Every instance answers what the store holds, whoever wrote it: nothing is
 * served that was not checked against a read made after the request arrived.
 *
 * @example
 * const view = await currentStatus(api)
 * return c.body(view.json(), 200, { ETag: view.etag })
 */
export async function currentStatus(api: ApiContext): Promise<StatusView> {
  let state = states.get(api)
  if (!state) {
    state = {}
    states.set(api, state)
  }
  for (;;) {
    // A rebuild under way may have read before this request arrived: wait, then check anew.
    if (state.rebuilding) await state.rebuilding.catch(() => {})
    const now = api.now()
    const inventory = api.inventory()
    const last = state.built
    if (last) {
      const probe = await api.store.client.execute(fingerprint(now))
      if (keyOf(inventory, probe) === last.view.key) return last.view
    }
    if (state.rebuilding) continue
    const current = state
    current.rebuilding = rebuild(api, inventory, now, last)
      .then((next) => {
        current.built = next
        return next
      })
      .finally(() => {
        current.rebuilding = undefined
      })
    return (await current.rebuilding).view
  }
}

async function rebuild(
  api: ApiContext,
  inventory: Inventory,
  now: number,
  last: Built | undefined,
): Promise<Built> {
  const read = (health: HealthCopy | undefined) =>
    api.store.client.batch(
      [fingerprint(now), fenceRows(last?.fenceRev ?? -1), ...healthChanges(health?.rev ?? -1)],
      'read',
    )
  let [probe, fences, ...changes] = await read(last?.health)
  let health = applyHealthChanges(last?.health, revOf(probe, 'health'), changes)
  if (!health) {
    // Rows were deleted: read everything again (rare: targets leaving the inventory).
    ;[probe, fences, ...changes] = await read(undefined)
    health = applyHealthChanges(undefined, revOf(probe, 'health'), changes) as HealthCopy
  }
  const fenceRev = revOf(probe, 'fence')
  const fenceList = last && fenceRev === last.fenceRev ? last.fences : parseFences(fences)
  const row = probe?.rows[0]
  const memo = last?.config === inventory.config ? last.memo : createBuildMemo()
  const status = buildClusterStatus(
    inventory,
    {
      health,
      fences: fenceList,
      openIncidents: Number(row?.incidents ?? 0),
      pendingApprovals: Number(row?.approvals ?? 0),
      activeSilences: Number(row?.silences ?? 0),
    },
    now,
    memo,
  )
  const key = keyOf(inventory, probe)
  let json: string | undefined
  const view: StatusView = {
    key,
    etag: `"${createHash('sha1').update(key).digest('base64url')}"`,
    status,
    json: () => {
      json ??= statusJson(status)
      return json
    },
  }
  return { view, health, fences: fenceList, fenceRev, config: inventory.config, memo }
}

/** Everything the view depends on besides row contents: revision counters and counts. */
function fingerprint(now: number): InStatement {
  return {
    sql: `SELECT (SELECT rev FROM store_revisions WHERE name = 'health_states') AS health,
      (SELECT rev FROM store_revisions WHERE name = 'fence_states') AS fence,
      (SELECT count(*) FROM incidents WHERE status = 'open') AS incidents,
      (SELECT count(*) FROM approvals WHERE status = 'pending' AND expires_at > ?) AS approvals,
      (SELECT count(*) FROM silences WHERE starts_at <= ? AND ends_at > ?) AS silences`,
    args: [now, now, now],
  }
}

/** The fence rows, or none when the fence counter still is `rev` (the copy in hand is current). */
function fenceRows(rev: number): InStatement {
  return {
    sql: `SELECT node, state, method, incident_id, updated_at, reason FROM fence_states
      WHERE (SELECT rev FROM store_revisions WHERE name = 'fence_states') <> ?`,
    args: [rev],
  }
}

function parseFences(result: ResultSet | undefined): FenceRow[] {
  return (result?.rows ?? []).map((r) => ({
    node: String(r.node),
    state: String(r.state),
    method: r.method === null ? null : String(r.method),
    incidentId: r.incident_id === null ? null : String(r.incident_id),
    updatedAt: Number(r.updated_at),
    reason: r.reason === null || r.reason === undefined ? null : String(r.reason),
  }))
}

function revOf(probe: ResultSet | undefined, name: 'health' | 'fence'): number {
  return Number(probe?.rows[0]?.[name] ?? 0)
}

function keyOf(inventory: Inventory, probe: ResultSet | undefined): string {
  const row = probe?.rows[0]
  return [
    inventoryId(inventory),
    row?.health,
    row?.fence,
    row?.incidents,
    row?.approvals,
    row?.silences,
  ].join('|')
}

const inventoryIds = new WeakMap<Config, number>()
let nextInventoryId = 0

/**
 * A reloaded config is a new object: its views are new too. Keyed by the config, not the
 * inventory: the daemon's reloadable inventory stays one object across reloads.
 */
function inventoryId(inventory: Inventory): number {
  let id = inventoryIds.get(inventory.config)
  if (id === undefined) {
    id = ++nextInventoryId
    inventoryIds.set(inventory.config, id)
  }
  return id
}
