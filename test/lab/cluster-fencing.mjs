// @ts-check
// The cluster's own fencing in the lab (cman's fenced / Pacemaker's fencer): runs the agents of a
// node's fencing topology, kept in the world as `fence.topology[<node>]`.
import { spawnSync } from 'node:child_process'
import { readWorld, updateWorld } from './world.mjs'

/**
 * A device as the cluster configuration names it: the agent and its options.
 * @typedef {{ agent: string, options?: Record<string, string | number> }} ClusterDevice
 * @typedef {{ methods?: ClusterDevice[][], unfence?: ClusterDevice[] }} Topology
 * @typedef {{ method: number, device: number, agent: string, code: number | null,
 *   stdout: string, stderr: string, timedOut: boolean }} AgentRun
 */

/** @param {string} node @returns {Topology | undefined} */
export function topologyOf(node) {
  const fence = /** @type {{ topology?: Record<string, Topology> } | undefined} */ (
    readWorld().fence
  )
  return fence?.topology?.[node]
}

/**
 * Runs one device's agent with its options on stdin, as libfence and the fencer do.
 * @param {ClusterDevice} device
 * @param {string} head the lines the cluster adds (action, plug, nodename ...)
 * @param {number} timeoutMs
 */
export function runAgent(device, head, timeoutMs) {
  const lines = Object.entries(device.options ?? {}).map(([k, v]) => `${k}=${v}\n`)
  const result = spawnSync(device.agent, {
    input: head + lines.join(''),
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  })
  return {
    code: result.status,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    timedOut: result.error?.message.includes('ETIMEDOUT') ?? false,
  }
}

/**
 * Walks the methods (levels) in order; a method succeeds when every device in it exits 0.
 * @param {ClusterDevice[][]} methods
 * @param {(device: ClusterDevice) => string} head
 * @param {number} timeoutMs
 * @returns {{ ok: boolean, runs: AgentRun[] }}
 */
export function walkMethods(methods, head, timeoutMs) {
  /** @type {AgentRun[]} */
  const runs = []
  for (const [m, devices] of methods.entries()) {
    let ok = true
    for (const [d, device] of devices.entries()) {
      const run = runAgent(device, head(device), timeoutMs)
      runs.push({ method: m, device: d, agent: device.agent, ...run })
      if (run.code !== 0) {
        ok = false
        break
      }
    }
    if (ok) return { ok: true, runs }
  }
  return { ok: false, runs }
}

/**
 * Appends to the cluster's fencing history (what `stonith_admin --history` reads back).
 * @param {{ target: string, action: string, state: 'done' | 'failed', origin: string,
 *   client: string, exitReason?: string }} event
 */
export function recordFenceEvent(event) {
  updateWorld((world) => {
    world.fence ??= {}
    const fence = /** @type {{ history?: unknown[] }} */ (world.fence)
    fence.history ??= []
    fence.history.push({
      ...event,
      delegate: event.origin,
      completed: Math.floor(Date.now() / 1000),
    })
  })
}
