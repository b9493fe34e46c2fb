// What the lvs scenarios share: the lab inventory, the table reconcile builds from it, and
// helpers that run the plugin's actions through their input schemas, as the executor does.
import { expect } from 'vitest'
import { type PluginContext, PluginError } from '../../core/plugin/index.ts'
import lvs, { type LvsConfig } from '../../plugins/lvs/index.ts'
import { onDirector } from '../../plugins/lvs/ipvsadm.ts'
import type { IpvsLab } from './harness.ts'

/** Loopback addresses only: the lab table holds them, nothing else is ever contacted. */
export const LAB_INVENTORY = `
nodes:
  - { name: director, address: 127.0.1.10, roles: [director] }
  - { name: web1, address: 127.0.3.11 }
  - { name: web2, address: 127.0.3.12 }
  - { name: web3, address: 127.0.3.13 }
  - { name: web4, address: 127.0.3.14 }
  - { name: local, address: 127.0.0.1 }
services:
  - name: web
    lvs:
      director: director
      address: 127.0.2.10
      port: 80
      scheduler: wrr
      forwarding: masq
      sorry_server: { address: 127.0.3.99, port: 8080 }
    real_servers:
      - { node: web1, port: 8080, weight: 5, thresholds: { upper: 200, lower: 50 } }
      - { node: web2, weight: 3, forwarding: route, thresholds: { upper: 100, lower: 10 } }
      - { node: web3, weight: 1, forwarding: tunnel, thresholds: { upper: 30, lower: 3 } }
  - name: dns
    lvs: { director: director, protocol: udp, address: 127.0.2.10, port: 53, scheduler: rr, persistence: 300s, forwarding: masq }
    real_servers:
      - { node: web1, port: 53 }
      - { node: web2, port: 5353, weight: 2 }
  - name: marked
    lvs: { director: director, protocol: fwmark, fwmark: 42, scheduler: wlc }
    real_servers:
      - { node: web4, weight: 2 }
  - name: app
    lvs: { director: director, address: 127.0.2.20, port: 8080, scheduler: rr, forwarding: masq }
    real_servers:
      - { node: local, port: 8080 }
      - { node: web4, port: 8080 }
`

/** The table `reconcile` builds from LAB_INVENTORY, in ipvsadm's own order. */
export const RECONCILED = `-A -t 127.0.2.10:80 -s wrr
-a -t 127.0.2.10:80 -r 127.0.3.11:8080 -m -w 5
-a -t 127.0.2.10:80 -r 127.0.3.12:80 -g -w 3
-a -t 127.0.2.10:80 -r 127.0.3.13:80 -i -w 1 --tun-type ipip
-A -t 127.0.2.20:8080 -s rr
-a -t 127.0.2.20:8080 -r 127.0.0.1:8080 -m -w 1
-a -t 127.0.2.20:8080 -r 127.0.3.14:8080 -m -w 1
-A -u 127.0.2.10:53 -s rr -p 300
-a -u 127.0.2.10:53 -r 127.0.3.11:53 -m -w 1
-a -u 127.0.2.10:53 -r 127.0.3.12:5353 -m -w 2
-A -f 42 -s wlc
-a -f 42 -r 127.0.3.14:0 -g -w 2
`

export type Ctx = PluginContext<LvsConfig>
export interface Scenario {
  name: string
  run(lab: IpvsLab, ctx: Ctx): Promise<void>
}

/** Runs one action through its input schema, as the executor does. */
export async function run(ctx: Ctx, name: string, input: Record<string, unknown>) {
  const action = lvs.actions?.[name]
  if (!action) throw new Error(`no action ${name}`)
  return action.run(action.input.parse(input), ctx)
}

export async function check(ctx: Ctx, name: string, input: Record<string, unknown>) {
  const action = lvs.actions?.[name]
  return action?.verify?.(action.input.parse(input), ctx)
}

export async function plan(ctx: Ctx, name: string, input: Record<string, unknown>) {
  const action = lvs.actions?.[name]
  if (!action) throw new Error(`no action ${name}`)
  return action.describe(action.input.parse(input), ctx)
}

/** The PluginError a promise rejects with (fails the test when it resolves). */
export async function failure(promise: Promise<unknown>): Promise<PluginError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof PluginError) return error
    throw error
  }
  throw new Error('expected a PluginError')
}

export async function restoreRules(lab: IpvsLab, rules: string) {
  const restored = await lab.ipvsadmRun(['-R'], `${rules}\n`)
  expect(restored).toMatchObject({ code: 0, stderr: '' })
}

export async function weightOf(ctx: Ctx, node: string): Promise<number | undefined> {
  const save = await onDirector(ctx, 'director').run(['-S', '-n'])
  const address = ctx.inventory.node(node)?.address
  return Number(new RegExp(`-r ${address}:\\d+ -. -w (\\d+)`).exec(save)?.[1])
}

/** Everything ipvsadm shows about the table that drain must leave alone. */
export async function views(lab: IpvsLab) {
  const [save, thresholds, tunnels] = await Promise.all(
    [
      ['-S', '-n'],
      ['-Ln', '--thresholds'],
      ['-Ln', '--tun-info'],
    ].map(async (args) => (await lab.ipvsadmRun(args)).stdout),
  )
  return { save: save ?? '', thresholds: thresholds ?? '', tunnels: tunnels ?? '' }
}
