// Scenarios about whole tables: reconcile, ipvsadm's refusals as typed errors, the lvs.table
// probe and plans (run against the simulator and the real kernel).
import { expect } from 'vitest'
import lvs from '../../plugins/lvs/index.ts'
import { onDirector } from '../../plugins/lvs/ipvsadm.ts'
import {
  check,
  failure,
  plan,
  RECONCILED,
  restoreRules,
  run,
  type Scenario,
  views,
} from './scenario-kit.ts'

export const tableScenarios: Scenario[] = [
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
        facts: { lvs: { web: { present: false, servers: {} } } },
      })
      await run(ctx, 'reconcile', {})
      expect(await table()).toMatchObject({ status: 'ok', detail: '4 services as declared' })
      await run(ctx, 'drain', { service: 'web', node: 'web2' })
      // The live weights by inventory node, as health stores them for the status API.
      const live = (await table('web'))?.facts?.lvs?.web
      expect(live?.present).toBe(true)
      expect(live?.servers.web2).toMatchObject({ weight: 0, active: 0, inactive: 0 })
      expect(live?.servers.web1?.weight).toBeGreaterThan(0)
      for (const node of ['web1', 'web3']) await run(ctx, 'drain', { service: 'web', node })
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
]
