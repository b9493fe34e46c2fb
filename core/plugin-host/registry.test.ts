// The registry refuses a plugin action that does not say which scope a requester needs for it.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { PluginDefinition } from '../plugin/index.ts'
import { createRegistry } from './index.ts'

/** A third-party plugin with one action, `scope` as its author wrote it (or forgot it). */
function pluginWith(scope: unknown): PluginDefinition {
  return {
    name: 'thirdparty',
    config: z.object({}),
    actions: {
      power_cycle: {
        description: 'power-cycle a node',
        input: z.object({ node: z.string() }),
        idempotent: false,
        destructive: true,
        scope,
        describe: () => [],
        run: async () => ({ summary: 'cycled' }),
      },
    },
  } as unknown as PluginDefinition
}

describe('createRegistry', () => {
  it('refuses an action without a scope, or with one that does not exist (issue 17)', () => {
    for (const scope of [undefined, 'root'])
      expect(() => createRegistry([pluginWith(scope)]), String(scope)).toThrow(
        /action "power_cycle" must declare the scope it needs: scope: 'read' \| 'operate' \| 'fence'/,
      )
    expect(
      createRegistry([pluginWith('fence')]).action('thirdparty.power_cycle').action.scope,
    ).toBe('fence')
  })
})
