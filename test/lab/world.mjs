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
    const result = change(world)
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
