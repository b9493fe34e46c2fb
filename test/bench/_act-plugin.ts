// bench:act's third-party plugin (loaded through the config's `plugins.bench.module`): a fence
// and a drain that run /bin/true; the fence reports the moment its command was spawned.
import { EventEmitter } from 'node:events'
import { defineAction, definePlugin, z } from '../../core/plugin/index.ts'

/**
 * Emits `spawned` (node, process.hrtime.bigint()) from the runner's spawn hook: the child
 * exists at that moment, nothing of the action's own work after it is counted.
 */
export const fences = new EventEmitter()

const NodeInput = z.strictObject({ node: z.string().min(1) })
const ServerInput = z.strictObject({ service: z.string().min(1), node: z.string().min(1) })

export default definePlugin({
  name: 'bench',
  description: 'bench:act: node actions that spawn /bin/true',
  config: z.strictObject({}),
  actions: {
    fence: defineAction<typeof NodeInput>({
      description: 'a fence whose agent is /bin/true',
      input: NodeInput,
      idempotent: false,
      destructive: true,
      scope: 'fence',
      fences: (input) => input.node,
      target: (input) => `node/${input.node}`,
      describe: () => [{ argv: ['/bin/true'] }],
      async run(input, ctx) {
        await ctx.runner.run({
          argv: ['/bin/true'],
          onSpawn: () => fences.emit('spawned', input.node, process.hrtime.bigint()),
        })
        return { summary: `${input.node} off` }
      },
      verify: async (input) => ({ ok: true, detail: `${input.node}: off` }),
    }),
    drain: defineAction<typeof ServerInput>({
      description: 'a drain that runs /bin/true',
      input: ServerInput,
      idempotent: true,
      destructive: true,
      scope: 'operate',
      target: (input) => `lvs/${input.service}/${input.node}`,
      drains: (input) => [{ ...input, drained: true }],
      describe: () => [{ argv: ['/bin/true'] }],
      async run(input, ctx) {
        await ctx.runner.run({ argv: ['/bin/true'] })
        return { summary: `${input.node} drained from ${input.service}` }
      },
    }),
  },
})
