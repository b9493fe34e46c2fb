// The lvs plugin's test sequence, run unchanged against the ipvsadm simulator and against the
// real kernel (test/lvs-simulator.test.ts, test/lvs-kernel.test.ts). Each scenario starts from
// an empty table; its end state (`-Ln`, `-S -n`) is kept for the simulator-vs-kernel diff.
import { expect } from 'vitest'
import { type PluginContext, PluginError } from '../core/plugin/index.ts'
import lvs, { type LvsConfig } from '../plugins/lvs/index.ts'
import { onDirector } from '../plugins/lvs/ipvsadm.ts'
import { type IpvsLab, lvsContext } from './lvs-harness.ts'

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

type Ctx = PluginContext<LvsConfig>
export interface Scenario {
  name: string
  run(lab: IpvsLab, ctx: Ctx): Promise<void>
}

/** In order; wait_drained comes last because its TIME_WAIT entries outlive the scenario. */
export const scenarios: Scenario[] = [
  {
    name: 'drain changes only the weight of masq, route and tunnel servers with thresholds',
    async run(lab, ctx) {
      await restoreRules(
        lab,
        `-A -t 127.0.2.10:80 -s wrr
-a -t 127.0.2.10:80 -r 127.0.3.11:8080 -m -w 5 -x 200 -y 50
-a -t 127.0.2.10:80 -r 127.0.3.12:80 -g -w 3 -x 100 -y 10
-a -t 127.0.2.10:80 -r 127.0.3.13:80 -i -w 1 -x 30 -y 3 --tun-type gue --tun-port 6080 --tun-remcsum`,
      )
      const before = await views(lab)
      for (const [node, weight] of [
        ['web1', 5],
        ['web2', 3],
        ['web3', 1],
      ] as const) {
        const result = await run(ctx, 'drain', { service: 'web', node })
        expect(result.data).toEqual({ saved_weight: weight, weight: 0 })
        expect(result.commands).toHaveLength(1)
        expect(await check(ctx, 'drain', { service: 'web', node })).toMatchObject({ ok: true })
      }
      const after = await views(lab)
      const drained = /^(-a -t 127\.0\.2\.10:80 -r 127\.0\.3\.1[123]:\d+ -[mgi] -w )\d+/gm
      expect(after.save).toBe(before.save.replace(drained, '$10'))
      expect(after.thresholds).toBe(before.thresholds)
      const column = /^( {2}-> 127\.0\.3\.1[123]:\d+ +\S+ +\S+ +)\d/gm
      expect(after.tunnels).toBe(before.tunnels.replace(column, '$10'))
      expect(after.save).toContain(
        '-r 127.0.3.13:80 -i -w 0 --tun-type gue --tun-port 6080 --tun-remcsum',
      )
      const again = await run(ctx, 'drain', { service: 'web', node: 'web2' })
      expect(again).toMatchObject({ commands: [], data: { saved_weight: null } })
    },
  },
  {
    name: 'restore puts back the weight saved at drain time, else the inventory weight',
    async run(_lab, ctx) {
      await run(ctx, 'reconcile', { service: 'web' })
      await run(ctx, 'set_weight', { service: 'web', node: 'web1', weight: 9 })
      const drained = await run(ctx, 'drain', { service: 'web', node: 'web1' })
      const saved = drained.data?.saved_weight
      expect(saved).toBe(9)
      const back = await run(ctx, 'restore', { service: 'web', node: 'web1', weight: saved })
      expect(back.data).toMatchObject({ weight: 9, weight_source: 'saved', previous_weight: 0 })
      expect(
        await check(ctx, 'restore', { service: 'web', node: 'web1', weight: 9 }),
      ).toMatchObject({ ok: true })
      await run(ctx, 'drain', { service: 'web', node: 'web1' })
      const fallback = await run(ctx, 'restore', { service: 'web', node: 'web1', weight: null })
      expect(fallback.data).toMatchObject({ weight: 5, weight_source: 'inventory' })
      await run(ctx, 'restore', { service: 'web', node: 'web2', weight: '7' })
      expect(await weightOf(ctx, 'web2')).toBe(7)
      expect(await check(ctx, 'restore', { service: 'web', node: 'web2' })).toMatchObject({
        ok: false,
      })
    },
  },
  {
    name: 'set_weight edits one weight, keeps thresholds, and runs nothing when it already holds',
    async run(lab, ctx) {
      await run(ctx, 'reconcile', { service: 'web' })
      const before = await views(lab)
      const result = await run(ctx, 'set_weight', { service: 'web', node: 'web2', weight: 8 })
      expect(result.commands?.[0]?.argv.slice(1)).toEqual([
        '-e',
        '-t',
        '127.0.2.10:80',
        '-r',
        '127.0.3.12:80',
        '-g',
        '-w',
        '8',
        '-x',
        '100',
        '-y',
        '10',
      ])
      const after = await views(lab)
      expect(after.thresholds).toBe(before.thresholds)
      expect(after.save).toBe(before.save.replace('127.0.3.12:80 -g -w 3', '127.0.3.12:80 -g -w 8'))
      const again = await run(ctx, 'set_weight', { service: 'web', node: 'web2', weight: 8 })
      expect(again.commands).toEqual([])
      await lab.ipvsadmRun([
        '-e',
        '-t',
        '127.0.2.10:80',
        '-r',
        '127.0.3.12:80',
        '-g',
        '-w',
        '4',
        '-x',
        '100',
        '-y',
        '10',
      ])
      expect(
        await check(ctx, 'set_weight', { service: 'web', node: 'web2', weight: 8 }),
      ).toMatchObject({
        ok: false,
        detail: 'web2 127.0.3.12:80 in web has weight 4, expected 8',
      })
    },
  },
  {
    name: 'add_server and remove_server follow the inventory and repeat safely',
    async run(lab, ctx) {
      const missing = await failure(run(ctx, 'add_server', { service: 'app', node: 'local' }))
      expect(missing).toMatchObject({
        kind: 'NO_SUCH_SERVICE',
        toolMessage: 'Service not defined',
        exitCode: 255,
      })
      await lab.ipvsadmRun(['-A', '-t', '127.0.2.20:8080', '-s', 'rr'])
      const added = await run(ctx, 'add_server', { service: 'app', node: 'local' })
      expect(added.data).toEqual({ added: true, weight: 1 })
      expect((await lab.ipvsadmRun(['-S', '-n'])).stdout).toBe(
        '-A -t 127.0.2.20:8080 -s rr\n-a -t 127.0.2.20:8080 -r 127.0.0.1:8080 -m -w 1\n',
      )
      expect(await check(ctx, 'add_server', { service: 'app', node: 'local' })).toMatchObject({
        ok: true,
      })
      expect((await run(ctx, 'add_server', { service: 'app', node: 'local' })).commands).toEqual([])
      const removed = await run(ctx, 'remove_server', { service: 'app', node: 'local' })
      expect(removed.data).toMatchObject({ removed: true, weight: 1 })
      expect(await check(ctx, 'remove_server', { service: 'app', node: 'local' })).toMatchObject({
        ok: true,
      })
      expect((await run(ctx, 'remove_server', { service: 'app', node: 'local' })).data).toEqual({
        removed: false,
      })
    },
  },
  {
    name: 'reconcile from an empty table converges in one pass and the second pass runs nothing',
    async run(lab, ctx) {
      const planned = await plan(ctx, 'reconcile', {})
      expect(planned).toHaveLength(12)
      expect((await lab.ipvsadmRun(['-S', '-n'])).stdout).toBe('')
      const first = await run(ctx, 'reconcile', {})
      expect(first.commands?.map((c) => c.argv)).toEqual(planned.map((c) => c.argv))
      expect((await lab.ipvsadmRun(['-S', '-n'])).stdout).toBe(RECONCILED)
      const listed = await lab.ipvsadmRun(['-Ln', '--thresholds', '-t', '127.0.2.10:80'])
      expect(listed.stdout.split('\n').slice(3, 6)).toEqual([
        '  -> 127.0.3.11:8080              200        50         0          0         ',
        '  -> 127.0.3.12:80                100        10         0          0         ',
        '  -> 127.0.3.13:80                30         3          0          0         ',
      ])
      const second = await run(ctx, 'reconcile', {})
      expect(second).toMatchObject({ commands: [], data: { commands: 0 } })
      expect(await check(ctx, 'reconcile', {})).toMatchObject({ ok: true })
    },
  },
  {
    name: 'reconcile repairs extra, missing and mis-weighted servers and a wrong scheduler in one pass',
    async run(lab, ctx) {
      await restoreRules(
        lab,
        `-A -t 127.0.2.10:80 -s rr
-a -t 127.0.2.10:80 -r 127.0.3.11:8080 -m -w 1 -x 200 -y 50
-a -t 127.0.2.10:80 -r 127.0.3.12:80 -g -w 3 -x 100 -y 10
-a -t 127.0.2.10:80 -r 127.0.3.66:80 -g -w 3
-A -u 127.0.2.10:53 -s wlc -p 300 -o
-a -u 127.0.2.10:53 -r 127.0.3.11:53 -m -w 1
-a -u 127.0.2.10:53 -r 127.0.3.12:5353 -m -w 2
-A -t 127.0.2.99:80 -s wlc`,
      )
      const planned = await plan(ctx, 'reconcile', { service: 'web' })
      expect(planned.map((c) => c.note)).toEqual([
        'web: add web3 127.0.3.13:80 (tunnel, weight 1)',
        'web: scheduler rr → wrr',
        'web: web1 127.0.3.11:8080 weight 1 → 5',
        'web: remove undeclared real server 127.0.3.66:80',
      ])
      const web = await run(ctx, 'reconcile', { service: 'web' })
      expect(web.commands?.map((c) => c.argv)).toEqual(planned.map((c) => c.argv))
      const dns = await run(ctx, 'reconcile', { service: 'dns' })
      expect(dns.commands?.map((c) => c.argv.slice(1))).toEqual([
        ['-E', '-u', '127.0.2.10:53', '-s', 'rr', '-p', '300', '-o'],
      ])
      const save = (await lab.ipvsadmRun(['-S', '-n'])).stdout
      expect(save).toBe(`${RECONCILED.split('\n').slice(0, 4).join('\n')}
-A -t 127.0.2.99:80 -s wlc
-A -u 127.0.2.10:53 -s rr -p 300 -o
-a -u 127.0.2.10:53 -r 127.0.3.11:53 -m -w 1
-a -u 127.0.2.10:53 -r 127.0.3.12:5353 -m -w 2
`)
      for (const service of ['web', 'dns'])
        expect((await run(ctx, 'reconcile', { service })).commands).toEqual([])
      const all = await run(ctx, 'reconcile', {})
      expect(all.data?.changes).toContain('delete -t 127.0.2.99:80: not in the inventory')
      expect((await run(ctx, 'reconcile', {})).commands).toEqual([])
    },
  },
  {
    name: 'sorry_server comes in when every real server is drained and leaves when one is back',
    async run(lab, ctx) {
      await run(ctx, 'reconcile', { service: 'web' })
      expect((await run(ctx, 'sorry_server', { service: 'web' })).data).toEqual({ enabled: false })
      for (const node of ['web1', 'web2', 'web3']) await run(ctx, 'drain', { service: 'web', node })
      const on = await run(ctx, 'sorry_server', { service: 'web' })
      expect(on.data).toEqual({ enabled: true })
      expect((await lab.ipvsadmRun(['-S', '-n'])).stdout).toContain('-r 127.0.3.99:8080 -m -w 1\n')
      expect(await check(ctx, 'sorry_server', { service: 'web' })).toMatchObject({ ok: true })
      const kept = await run(ctx, 'reconcile', { service: 'web', keep_drained: true })
      expect(kept.commands).toEqual([])
      await run(ctx, 'restore', { service: 'web', node: 'web2' })
      expect((await run(ctx, 'sorry_server', { service: 'web' })).data).toEqual({ enabled: false })
      expect((await lab.ipvsadmRun(['-S', '-n'])).stdout).not.toContain('127.0.3.99')
      await run(ctx, 'sorry_server', { service: 'web', enable: true })
      const full = await run(ctx, 'reconcile', { service: 'web' })
      expect(full.data?.changes).toEqual([
        'web: web1 127.0.3.11:8080 weight 0 → 5',
        'web: web3 127.0.3.13:80 weight 0 → 1',
        'web: remove sorry server 127.0.3.99:8080',
      ])
      const none = await failure(run(ctx, 'sorry_server', { service: 'dns' }))
      expect(none).toMatchObject({ kind: 'NO_SORRY_SERVER' })
    },
  },
  {
    name: "ipvsadm's refusals become typed plugin errors that keep the tool's message",
    async run(lab, ctx) {
      const director = onDirector(ctx, 'director')
      const refusal = async (args: string[]) => failure(director.run(args))
      await lab.ipvsadmRun(['-A', '-t', '127.0.2.10:80', '-s', 'wrr'])
      await lab.ipvsadmRun(['-a', '-t', '127.0.2.10:80', '-r', '127.0.3.12:80', '-g', '-w', '3'])
      const cases: [string[], string, string, number][] = [
        [
          ['-a', '-t', '127.0.2.10:80', '-r', '127.0.3.12:80', '-g', '-w', '3'],
          'DESTINATION_EXISTS',
          'Destination already exists',
          255,
        ],
        [
          ['-A', '-t', '127.0.2.10:80', '-s', 'wrr'],
          'SERVICE_EXISTS',
          'Service already exists',
          255,
        ],
        [
          ['-e', '-t', '127.0.2.10:80', '-r', '127.0.3.99:80', '-w', '3'],
          'NO_SUCH_DESTINATION',
          'No such destination',
          255,
        ],
        [
          ['-e', '-t', '127.0.2.99:80', '-r', '127.0.3.12:80', '-w', '3'],
          'NO_SUCH_SERVICE',
          'Service not defined',
          255,
        ],
        [
          ['-d', '-t', '127.0.2.10:80', '-r', '127.0.3.99:80'],
          'NO_SUCH_DESTINATION',
          'No such destination',
          255,
        ],
        [['-Ln', '-t', '127.0.2.99:80'], 'NO_SUCH_SERVICE', 'No such service', 1],
        [
          ['-A', '-t', '127.0.2.11:80', '-s', 'nosuch'],
          'BAD_SCHEDULER',
          'Scheduler or persistence engine not found',
          255,
        ],
        [
          ['-e', '-t', '127.0.2.10:80', '-r', '127.0.3.12:80', '-w', '-1'],
          'BAD_WEIGHT',
          'illegal weight specified',
          2,
        ],
        [
          ['-a', '-t', '127.0.2.10:80', '-r', '127.0.3.16:80', '--bogus'],
          'BAD_OPTION',
          '--bogus: unknown option',
          255,
        ],
        [
          ['-e', '-t', '127.0.2.10:80', '-r', '127.0.3.12:80', '-x', '5', '-y', '10'],
          'BAD_THRESHOLDS',
          'Numerical result out of range',
          255,
        ],
      ]
      for (const [args, kind, toolMessage, exitCode] of cases) {
        const error = await refusal(args)
        expect({
          kind: error.kind,
          toolMessage: error.toolMessage,
          exitCode: error.exitCode,
        }).toEqual({ kind, toolMessage, exitCode })
        expect(error.message).toBe(
          `[lvs] ${lab.ipvsadm} ${args.join(' ')} on director: ${toolMessage}`,
        )
      }
      const absent = await failure(run(ctx, 'drain', { service: 'web', node: 'web1' }))
      expect(absent).toMatchObject({
        kind: 'NO_SUCH_DESTINATION',
        toolMessage: 'No such destination',
      })
      const noService = await failure(run(ctx, 'drain', { service: 'dns', node: 'web1' }))
      expect(noService).toMatchObject({
        kind: 'NO_SUCH_SERVICE',
        toolMessage: 'Service not defined',
      })
      expect(await failure(run(ctx, 'drain', { service: 'nope', node: 'web1' }))).toMatchObject({
        kind: 'UNKNOWN_SERVICE',
      })
      expect(await failure(run(ctx, 'drain', { service: 'web', node: 'local' }))).toMatchObject({
        kind: 'UNKNOWN_REAL_SERVER',
      })
    },
  },
  {
    name: 'lvs.table reports a missing service, lost capacity and drift',
    async run(lab, ctx) {
      const table = (service?: string) => lvs.probes?.table?.run(service ? { service } : {}, ctx)
      expect(await table('web')).toMatchObject({
        status: 'critical',
        detail: 'web: -t 127.0.2.10:80 is not in the IPVS table',
      })
      await run(ctx, 'reconcile', {})
      expect(await table()).toMatchObject({ status: 'ok', detail: '4 services as declared' })
      for (const node of ['web1', 'web2', 'web3']) await run(ctx, 'drain', { service: 'web', node })
      expect(await table('web')).toMatchObject({
        status: 'critical',
        detail: 'web: no real server has weight above 0',
      })
      await run(ctx, 'sorry_server', { service: 'web' })
      expect(await table('web')).toMatchObject({ status: 'warning' })
      await lab.ipvsadmRun(['-a', '-t', '127.0.2.20:8080', '-r', '127.0.3.77:8080', '-m'])
      const drift = await table('app')
      expect(drift).toMatchObject({
        status: 'warning',
        detail: 'drift: app: remove undeclared real server 127.0.3.77:8080',
      })
    },
  },
  {
    name: 'describe shows exact commands from the live table and changes nothing',
    async run(lab, ctx) {
      await run(ctx, 'reconcile', { service: 'web' })
      const before = await views(lab)
      const drain = await plan(ctx, 'drain', { service: 'web', node: 'web2' })
      expect(drain).toEqual([
        {
          argv: [
            lab.ipvsadm,
            '-e',
            '-t',
            '127.0.2.10:80',
            '-r',
            '127.0.3.12:80',
            '-g',
            '-w',
            '0',
            '-x',
            '100',
            '-y',
            '10',
          ],
          node: 'director',
          note: 'drain web2 from web (weight 3 → 0)',
        },
      ])
      expect(await plan(ctx, 'reconcile', { service: 'web' })).toEqual([])
      expect(await plan(ctx, 'sorry_server', { service: 'web' })).toEqual([])
      const sorry = await plan(ctx, 'sorry_server', { service: 'web', enable: true })
      expect(sorry.map((c) => [c.argv.slice(1), c.note])).toEqual([
        [
          ['-a', '-t', '127.0.2.10:80', '-r', '127.0.3.99:8080', '-m', '-w', '1'],
          'add sorry server 127.0.3.99:8080 of web: as asked',
        ],
      ])
      expect(await views(lab)).toEqual(before)
    },
  },
  {
    name: 'wait_drained waits until the connections of a drained or removed server are gone',
    async run(lab, ctx) {
      await run(ctx, 'reconcile', { service: 'app' })
      await run(ctx, 'drain', { service: 'app', node: 'web4' })
      const vip = { address: '127.0.2.20', port: 8080 }
      const local = { address: '127.0.0.1', port: 8080 }
      const first = await lab.connect(vip, local)
      const stats = await lvs.probes?.stats?.run({ service: 'app', node: 'local' }, ctx)
      expect(stats).toMatchObject({ status: 'ok', data: { active_connections: 1 } })
      await run(ctx, 'drain', { service: 'app', node: 'local' })
      const busy = await failure(
        run(ctx, 'wait_drained', { service: 'app', node: 'local', timeout: '500ms' }),
      )
      expect(busy).toMatchObject({ kind: 'DRAIN_TIMEOUT' })
      expect(busy.message).toMatch(/local 127\.0\.0\.1:8080 in app still has 1 connections/)
      const waiting = run(ctx, 'wait_drained', { service: 'app', node: 'local', timeout: '20s' })
      await lab.disconnect(first)
      expect((await waiting).data).toMatchObject({ connections: 0, listed: true })
      expect(await check(ctx, 'wait_drained', { service: 'app', node: 'local' })).toMatchObject({
        ok: true,
      })
      await run(ctx, 'restore', { service: 'app', node: 'local' })
      const second = await lab.connect(vip, local)
      await run(ctx, 'remove_server', { service: 'app', node: 'local' })
      const orphaned = () =>
        run(ctx, 'wait_drained', { service: 'app', node: 'local', timeout: '300ms' })
      expect(await failure(orphaned())).toMatchObject({ kind: 'DRAIN_TIMEOUT' })
      // Removed, the server's connections cannot even close: the kernel drops their packets
      // (expire_nodest_conn=0), so the entry stays ESTABLISHED. That is why maintenance drains.
      await lab.disconnect(second)
      expect(await failure(orphaned())).toMatchObject({ kind: 'DRAIN_TIMEOUT' })
      await run(ctx, 'add_server', { service: 'app', node: 'local' })
      const gone = await run(ctx, 'wait_drained', { service: 'app', node: 'local', timeout: '20s' })
      expect(gone.data).toMatchObject({ connections: 0, listed: true })
    },
  },
]

/** What a scenario left behind: the commands the plugin ran and the table at the end. */
export interface Outcome {
  commands: string[]
  list: string
  save: string
}

/**
 * Runs one scenario from an empty table and records its outcome. A run of reads between two
 * changes counts each distinct read once (wait_drained polls as often as timing allows).
 */
export async function playScenario(lab: IpvsLab, ctx: Ctx, scenario: Scenario): Promise<Outcome> {
  await lab.reset()
  const start = lab.trace.length
  await scenario.run(lab, ctx)
  const commands: string[] = []
  let reads = new Set<string>()
  for (const entry of lab.trace.slice(start)) {
    const line = `${entry.argv.join(' ')} → ${entry.code}`
    const read = /^-(L|l|S)/.test(entry.argv[1] ?? '')
    if (read && reads.has(line)) continue
    reads = read ? reads.add(line) : new Set()
    commands.push(line)
  }
  const list = await lab.ipvsadmRun(['-Ln'])
  const save = await lab.ipvsadmRun(['-S', '-n'])
  return { commands, list: `${list.stdout}rc=${list.code}`, save: `${save.stdout}rc=${save.code}` }
}

/** Runs one action through its input schema, as the executor does. */
export async function run(ctx: Ctx, name: string, input: Record<string, unknown>) {
  const action = lvs.actions?.[name]
  if (!action) throw new Error(`no action ${name}`)
  return action.run(action.input.parse(input), ctx)
}

async function check(ctx: Ctx, name: string, input: Record<string, unknown>) {
  const action = lvs.actions?.[name]
  return action?.verify?.(action.input.parse(input), ctx)
}

async function plan(ctx: Ctx, name: string, input: Record<string, unknown>) {
  const action = lvs.actions?.[name]
  if (!action) throw new Error(`no action ${name}`)
  return action.describe(action.input.parse(input), ctx)
}

/** The PluginError a promise rejects with (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<PluginError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof PluginError) return error
    throw error
  }
  throw new Error('expected a PluginError')
}

async function restoreRules(lab: IpvsLab, rules: string) {
  const restored = await lab.ipvsadmRun(['-R'], `${rules}\n`)
  expect(restored).toMatchObject({ code: 0, stderr: '' })
}

async function weightOf(ctx: Ctx, node: string): Promise<number | undefined> {
  const save = await onDirector(ctx, 'director').run(['-S', '-n'])
  const address = ctx.inventory.node(node)?.address
  return Number(new RegExp(`-r ${address}:\\d+ -. -w (\\d+)`).exec(save)?.[1])
}

/** Everything ipvsadm shows about the table that drain must leave alone. */
async function views(lab: IpvsLab) {
  const [save, thresholds, tunnels] = await Promise.all(
    [
      ['-S', '-n'],
      ['-Ln', '--thresholds'],
      ['-Ln', '--tun-info'],
    ].map(async (args) => (await lab.ipvsadmRun(args)).stdout),
  )
  return { save: save ?? '', thresholds: thresholds ?? '', tunnels: tunnels ?? '' }
}

export { lvsContext }
