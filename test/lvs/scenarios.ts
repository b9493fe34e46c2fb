// The lvs plugin's test sequence, run unchanged against the ipvsadm simulator and against the
// real kernel (test/lvs/simulator.test.ts, test/lvs/kernel.test.ts). Each scenario starts from
// an empty table; its end state (`-Ln`, `-S -n`) is kept for the simulator-vs-kernel diff.
import type { IpvsLab } from './harness.ts'
import type { Ctx, Scenario } from './scenario-kit.ts'
import { serverScenarios } from './scenarios-servers.ts'
import { tableScenarios } from './scenarios-table.ts'

export { LAB_INVENTORY, RECONCILED, run, type Scenario } from './scenario-kit.ts'

/** In order; wait_drained comes last because its TIME_WAIT entries outlive the scenario. */
export const scenarios: Scenario[] = [
  ...serverScenarios.filter((s) => !s.name.startsWith('wait_drained')),
  ...tableScenarios,
  ...serverScenarios.filter((s) => s.name.startsWith('wait_drained')),
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
