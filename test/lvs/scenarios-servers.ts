// Scenarios about one real server: drain, restore, set_weight, add/remove, the sorry server
// and waiting for connections to end (run against the simulator and the real kernel).
import { expect } from 'vitest'
import lvs from '../../plugins/lvs/index.ts'
import {
  check,
  failure,
  restoreRules,
  run,
  type Scenario,
  views,
  weightOf,
} from './scenario-kit.ts'

export const serverScenarios: Scenario[] = [
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
