// `npm run bench:e2e`: node2 dies on the demo; time until every step of the failover is done and
// verified, against the floor the configuration sets (fall × interval + the policy's `for:`).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { loadConfig, parseDuration } from '../../core/inventory/index.ts'
import { startDemoLab } from '../e2e/demo-lab.ts'
import { failNode } from '../lab/demo-world.ts'

const POLICY = 'node-down-failover'
const lab = await startDemoLab({ net: 26, smtpPort: 25326, webhookPort: 28326 })
try {
  const config = await loadConfig(join(lab.dir, 'tandem.yaml'))
  const agent = config.nodes.find((n) => n.name === 'node2')?.checks[0]
  if (!agent) throw new Error('[bench] node2 has no agent check in tandem.yaml')
  const policy = parse(readFileSync(`policies/${POLICY}.yaml`, 'utf8')) as { for?: string }
  const floorMs = agent.fall * Number(agent.interval) + parseDuration(policy.for ?? '0s')

  await lab.healthy()
  const failedAt = Date.now()
  failNode('node2')
  const status = await lab.finished(POLICY, 120_000)
  const restoredMs = Date.now() - failedAt
  const steps = await lab.steps(POLICY)
  const [down] = await lab.rows(
    `SELECT min(at) AS at FROM events WHERE type = 'node.down' AND subject = 'node2' AND at >= ${failedAt}`,
  )
  const toolsMs = wallTime(steps.map((s) => [s.startedAt ?? 0, s.finishedAt ?? 0]))
  const commands = steps.reduce(
    (n, s) => n + ((s.result?.ran as unknown[] | undefined)?.length ?? 0),
    0,
  )
  const verified = steps.every((s) => s.status === 'succeeded' && s.result?.verify !== undefined)
  const targetMs = floorMs + toolsMs + 1_000
  console.log(
    JSON.stringify({
      bench: 'e2e',
      scenario: 'node2 dies → fence, drain, relocate, restart guest, verify',
      status,
      verified,
      steps: steps.length,
      commands,
      detectedMs: down?.at ? Number(down.at) - failedAt : null,
      restoredMs,
      floorMs,
      toolsMs,
      overheadMs: restoredMs - floorMs - toolsMs,
      targetMs,
      met: status === 'succeeded' && verified && restoredMs <= targetMs,
    }),
  )
} finally {
  await lab.close()
}

/** Time covered by at least one of the intervals (steps of one foreach run side by side). */
function wallTime(intervals: [number, number][]): number {
  let total = 0
  let end = 0
  for (const [from, to] of intervals.sort((a, b) => a[0] - b[0])) {
    if (to <= end) continue
    total += to - Math.max(from, end)
    end = to
  }
  return total
}
