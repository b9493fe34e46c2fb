import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinPlugins } from '../../../plugins/index.ts'
import { demoConfig, examplePolicies, runCli } from '../../../test/policy/cli.ts'
import { events, openStore } from '../../store/index.ts'
import { createSimulateCommand } from './simulate.ts'

const simulate = createSimulateCommand(builtinPlugins)
const day = 86_400_000
const t0 = Date.parse('2024-05-01T00:00:00Z')

function outage(node: string, at: number, seconds: number) {
  const labels = { node, severity: 'critical' }
  return [
    { type: 'node.down', subject: node, at, labels, payload: {} },
    {
      type: 'node.up',
      subject: node,
      at: at + seconds * 1000,
      labels: { ...labels, severity: 'info' },
      payload: {},
    },
  ]
}

describe('tandem simulate', () => {
  let dir: string
  let eventsFile: string
  const week = [
    ...outage('node3', t0 + day, 30),
    ...outage('node2', t0 + 2 * day, 5),
    ...outage('node3', t0 + 4 * day, 45),
  ]

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-simulate-'))
    await cp(examplePolicies, join(dir, 'current'), { recursive: true })
    await cp(examplePolicies, join(dir, 'candidate'), { recursive: true })
    const file = join(dir, 'candidate', 'node-down-failover.yaml')
    await writeFile(file, (await readFile(file, 'utf8')).replace('for: 20s', 'for: 10s'))
    const current = join(dir, 'current', 'node-down-failover.yaml')
    await writeFile(current, (await readFile(current, 'utf8')).replace('for: 20s', 'for: 1m'))
    eventsFile = join(dir, 'events.jsonl')
    await writeFile(eventsFile, `${week.map((e) => JSON.stringify(e)).join('\n')}\n`)
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  const args = () => [
    '--config',
    demoConfig,
    '--policies',
    join(dir, 'candidate'),
    '--baseline',
    join(dir, 'current'),
  ]

  it('prints the difference in words, then the tables behind it', async () => {
    const { code, out } = await runCli(simulate, ['--events', eventsFile, ...args()])
    expect(code).toBe(0)
    expect(out).toContain('replayed 6 events from')
    expect(out).toContain(
      [
        'differences',
        '  this change would have fenced node3 twice (before: never)',
        '  this change would have drained node3 from web twice (before: never)',
        '',
      ].join('\n'),
    )
    expect(out).toMatch(/ {2}would act\s+0\s+2\n/)
    expect(out).toContain('events decided differently (2)')
    expect(out).toMatch(
      /2024-05-02 00:00:00Z\s+node\.down node3\s+-\s+node-down-failover: 2 action\(s\)/,
    )
  })

  it('gives the whole report as JSON', async () => {
    const { out } = await runCli(simulate, ['--events', eventsFile, '--json', ...args()])
    const report = JSON.parse(out)
    expect(
      report.differences.map((d: { label: string; baseline: number; candidate: number }) => [
        d.label,
        d.baseline,
        d.candidate,
      ]),
    ).toEqual([
      ['fence.fence node3', 0, 2],
      ['lvs.drain web/node3', 0, 2],
    ])
    expect(report.candidate.runs).toHaveLength(2)
  })

  it('replays the events of the last days from the store', async () => {
    const url = `file:${join(dir, 'events.db')}`
    const store = await openStore(url)
    const now = Date.now()
    await store.db
      .insert(events)
      .values(outage('node3', now - 2 * day, 30).map((e) => ({ ...e, at: e.at })))
    await store.db.insert(events).values(outage('node3', now - 20 * day, 30))
    store.close()
    const { out } = await runCli(simulate, ['--since', '7d', '--store', url, '--json', ...args()])
    const report = JSON.parse(out)
    expect(report.events).toBe(2)
    expect(report.differences[0].sentence).toBe(
      'this change would have fenced node3 once (before: never)',
    )
  })

  it('names the line of a bad event', async () => {
    const bad = join(dir, 'bad.jsonl')
    await writeFile(bad, `${JSON.stringify(week[0])}\n{"type":"node.dwn","subject":"x","at":1}\n`)
    await expect(runCli(simulate, ['--events', bad, ...args()])).rejects.toThrow(
      `[simulate] ${bad}:2: type: `,
    )
    await expect(runCli(simulate, [...args()])).rejects.toThrow(
      'give either --events FILE.jsonl or --since',
    )
  })
})
