// set_weight, drain and restore: change one real server's weight and nothing else about it.
// drain reports the weight it replaced (`saved_weight`) so restore can put it back after a restart.
import { defineAction } from '../../../core/plugin/index.ts'
import type { LvsConfig } from '../ipvsadm.ts'
import {
  applyWeight,
  planWeight,
  resolveServer,
  ServerInput,
  serverState,
  serverTarget,
  verifyWeight,
  Weight,
} from './server-state.ts'

const SetWeightInput = ServerInput.extend({ weight: Weight })

export const setWeight = defineAction<typeof SetWeightInput, LvsConfig>({
  description: 'set the weight of a real server, keeping its forwarding, thresholds and tunnel',
  input: SetWeightInput,
  idempotent: true,
  destructive: true,
  scope: 'operate',
  target: serverTarget,
  drains: (input) => [{ service: input.service, node: input.node, drained: input.weight === 0 }],
  describe: (input, ctx) =>
    planWeight(ctx, input, () => input.weight, `set ${input.node} in ${input.service}`),
  async run(input, ctx) {
    const state = await serverState(ctx, input)
    const why = `set ${input.node} in ${input.service}`
    const { previous, changed } = await applyWeight(state, input.weight, why)
    return {
      summary: changed
        ? `${input.node} in ${input.service}: weight ${previous} → ${input.weight}`
        : `${input.node} in ${input.service} already has weight ${input.weight}`,
      data: { previous_weight: previous, weight: input.weight },
      commands: state.director.changes,
    }
  },
  verify: (input, ctx) => verifyWeight(ctx, input, input.weight),
})

export const drain = defineAction<typeof ServerInput, LvsConfig>({
  description:
    'drain a real server: weight 0, so it takes no new connections and current ones finish',
  input: ServerInput,
  idempotent: true,
  destructive: true,
  scope: 'operate',
  target: serverTarget,
  drains: (input) => [{ service: input.service, node: input.node, drained: true }],
  describe: (input, ctx) =>
    planWeight(ctx, input, () => 0, `drain ${input.node} from ${input.service}`),
  async run(input, ctx) {
    const state = await serverState(ctx, input)
    const { previous, changed } = await applyWeight(
      state,
      0,
      `drain ${input.node} from ${input.service}`,
    )
    // Already at 0 (a re-run after a crash, or drained by hand): the weight to restore is not
    // known here; restore then falls back to the inventory's.
    const saved = changed ? previous : null
    return {
      summary: changed
        ? `drained ${input.node} from ${input.service} (weight ${previous} → 0)`
        : `${input.node} in ${input.service} was already drained`,
      data: { saved_weight: saved, weight: 0 },
      commands: state.director.changes,
    }
  },
  verify: (input, ctx) => verifyWeight(ctx, input, 0),
})

export const RestoreInput = ServerInput.extend({
  /** The weight saved at drain time (drain's `saved_weight`); absent or null: the inventory's. */
  weight: Weight.nullish(),
})

export const restore = defineAction<typeof RestoreInput, LvsConfig>({
  description:
    'restore a drained real server to the weight saved at drain time, or the inventory weight',
  input: RestoreInput,
  idempotent: true,
  destructive: true,
  scope: 'operate',
  target: serverTarget,
  drains: (input) => [{ service: input.service, node: input.node, drained: input.weight === 0 }],
  describe: (input, ctx) =>
    planWeight(
      ctx,
      input,
      ({ desired }) => input.weight ?? desired.server.weight,
      `restore ${input.node} in ${input.service}`,
    ),
  async run(input, ctx) {
    const state = await serverState(ctx, input)
    const weight = input.weight ?? state.desired.server.weight
    const source = input.weight === undefined || input.weight === null ? 'inventory' : 'saved'
    const why = `restore ${input.node} in ${input.service}`
    const { previous, changed } = await applyWeight(state, weight, why)
    return {
      summary: changed
        ? `restored ${input.node} in ${input.service} to the ${source} weight ${weight} (was ${previous})`
        : `${input.node} in ${input.service} already has the ${source} weight ${weight}`,
      data: { previous_weight: previous, weight, weight_source: source },
      commands: state.director.changes,
    }
  },
  async verify(input, ctx) {
    const { desired } = await resolveServer(ctx, input)
    return verifyWeight(ctx, input, input.weight ?? desired.server.weight)
  },
})
