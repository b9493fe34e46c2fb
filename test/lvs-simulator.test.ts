// The lvs plugin's whole test sequence against the ipvsadm simulator (fast; no VM needed).
import { afterAll, describe, it } from 'vitest'
import { lvsContext, simulatorLab } from './lvs-harness.ts'
import { LAB_INVENTORY, playScenario, scenarios } from './lvs-scenarios.ts'

const lab = simulatorLab()
const ctx = lvsContext(lab, LAB_INVENTORY)

describe('lvs plugin against the ipvsadm simulator', () => {
  afterAll(() => lab.stop())
  for (const scenario of scenarios) it(scenario.name, () => playScenario(lab, ctx, scenario))
})
