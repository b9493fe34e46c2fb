// @ts-check
// The lab's shared world state: one JSON file that every simulated tool reads and edits under a lock.
import { mkdirSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * @typedef {{ up: boolean, power: 'on' | 'off', partitioned?: boolean, address?: string, unhealthy?: number[], bootedAt?: number }} LabNode
 * @typedef {{ version: 1, nodes: Record<string, LabNode>, [section: string]: unknown }} World
 */

/** The world file: $TANDEM_LAB_WORLD, or one per user in the temp directory. */
export function worldPath() {
  return process.env.TANDEM_LAB_WORLD ?? join(tmpdir(), 'tandem-lab-world.json')
}

/** The node a simulated tool "runs on" (set by the lab's ssh), or undefined when local. */
export function currentNode() {
  return process.env.TANDEM_LAB_NODE || undefined
}

/** @returns {World} */
export function readWorld() {
  try {
    return JSON.parse(readFileSync(worldPath(), 'utf8'))
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT')
      return { version: 1, nodes: {} }
    throw error
  }
}

/**
 * Read-modify-write under an exclusive lock; `change` edits the world in place or returns a new one.
 * @template T
 * @param {(world: World) => T} change
 * @returns {T}
 */
export function updateWorld(change) {
  const path = worldPath()
  const lock = `${path}.lock`
  acquire(lock)
  try {
    const world = readWorld()
    const before = facts(world)
    const result = change(world)
    recordHistory(world, before)
    const temp = `${path}.${process.pid}.tmp`
    writeFileSync(temp, JSON.stringify(world, null, 2))
    renameSync(temp, path)
    return result
  } finally {
    rmdirSync(lock)
  }
}

/** Replaces the whole world (lab set-up). @param {World} world */
export function writeWorld(world) {
  updateWorld((current) => {
    for (const key of Object.keys(current)) delete current[key]
    Object.assign(current, world)
  })
}

/**
 * A fact of the world that tests judge tandem by, as a flat `key → value` map: node liveness and
 * power, cluster service owners, running guests (host and domain id), IPVS weights, GNBD cuts.
 * @param {World} world
 * @returns {Record<string, string | number | boolean | null>}
 */
export function facts(world) {
  /** @type {Record<string, string | number | boolean | null>} */
  const out = {}
  for (const [name, n] of Object.entries(world.nodes ?? {})) {
    out[`node/${name}/up`] = n.up !== false
    out[`node/${name}/power`] = n.power
    out[`node/${name}/partitioned`] = !!n.partitioned
  }
  const rg = /** @type {{ services?: Record<string, { owner?: string | null }> } | undefined} */ (
    world.rgmanager
  )
  for (const [name, svc] of Object.entries(rg?.services ?? {}))
    out[`rg/${name}`] = svc.owner ?? null
  const xen =
    /** @type {{ domains?: Record<string, { host: string, state: string, id?: number }> } | undefined} */ (
      world.xen
    )
  for (const [name, dom] of Object.entries(xen?.domains ?? {}))
    out[`xen/${name}`] = dom.state === 'shutoff' ? null : `${dom.host}#${dom.id ?? 0}`
  const ipvs =
    /** @type {{ tables?: Record<string, { services?: { addr: string | null, port: number, dests: { addr: string, port: number, weight: number }[] }[] }> } | undefined} */ (
      world.ipvs
    )
  for (const [table, t] of Object.entries(ipvs?.tables ?? {}))
    for (const svc of t.services ?? [])
      for (const d of svc.dests)
        out[`ipvs/${table}/${svc.addr}:${svc.port}/${d.addr}:${d.port}`] = d.weight
  const gnbd = /** @type {{ gnbd?: Record<string, string[]> } | undefined} */ (world.fence)?.gnbd
  for (const [server, cut] of Object.entries(gnbd ?? {}))
    for (const victim of cut) out[`gnbd/${server}/${victim}`] = 'cut'
  return out
}

/**
 * Appends every fact that `change` altered to `world.history` (timestamped, with the tool that
 * did it), so tests can ask what the world looked like at any moment, not only at the end.
 * @param {World} world
 * @param {ReturnType<typeof facts>} before
 */
function recordHistory(world, before) {
  const after = facts(world)
  const history = /** @type {unknown[]} */ (Array.isArray(world.history) ? world.history : [])
  const at = Date.now()
  const by = `${(process.argv[1] ?? '').split('/').pop()}${currentNode() ? `@${currentNode()}` : ''}`
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)]))
    if (before[key] !== after[key])
      history.push({ at, key, from: before[key] ?? null, to: after[key] ?? null, by })
  if (history.length > 0) world.history = history
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** @param {string} lock */
function acquire(lock) {
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      mkdirSync(lock)
      return
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error
    }
    // A holder that died leaves its lock behind; nobody holds it for seconds legitimately.
    try {
      if (Date.now() - statSync(lock).mtimeMs > 5_000) rmdirSync(lock)
    } catch {}
    if (Date.now() > deadline) throw new Error(`lab world lock ${lock} held for too long`)
    Atomics.wait(sleeper, 0, 0, 2)
  }
}
