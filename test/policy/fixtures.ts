// Test helper: the demo inventory, a registry of the built-in plugins, and a one-call policy compiler.
import { readFile } from 'node:fs/promises'
import type { TandemEvent } from '../../core/events/index.ts'
import {
  type Config,
  createInventory,
  type Inventory,
  parseConfig,
} from '../../core/inventory/index.ts'
import { definePlugin, z } from '../../core/plugin/index.ts'
import { createRegistry, type Registry } from '../../core/plugin-host/index.ts'
import { type CompiledPolicy, compilePolicy } from '../../core/policy/index.ts'
import { builtinPlugins } from '../../plugins/index.ts'

export interface Demo {
  config: Config
  inventory: Inventory
  registry: Registry
}

let cached: Demo | undefined

/**
 * A fixture, not a copy of a real plugin: one action that puts a free-text value into argv, so
 * planner tests can show what templates do to hostile text (no built-in action takes free text).
 */
const fixture = definePlugin({
  name: 'fixture',
  description: 'test fixture: an action that puts free text into argv',
  config: z.object({}),
  actions: {
    note: {
      description: 'records a comment about a service',
      input: z.object({ service: z.string().min(1), comment: z.string() }),
      describe: (i) => [{ argv: ['note', '--comment', i.comment, i.service] }],
      run: async (i) => ({ summary: `noted ${i.service}` }),
      idempotent: true,
      destructive: false,
      scope: 'operate',
    },
  },
})

/** The demo inventory (tandem.yaml at the repository root) with the built-in plugins and the fixture. */
export async function demo(): Promise<Demo> {
  if (cached) return cached
  const file = new URL('../../tandem.yaml', import.meta.url)
  const config = parseConfig('tandem.yaml', await readFile(file, 'utf8'))
  cached = {
    config,
    inventory: createInventory(config),
    registry: createRegistry([...builtinPlugins, fixture]),
  }
  return cached
}

/** Compiles policy text against the demo (throws the ConfigError a user would see). */
export async function compile(text: string, file = 'policies/test.yaml'): Promise<CompiledPolicy> {
  const { registry, inventory } = await demo()
  return compilePolicy(file, text, { registry, inventory })
}

/** The message a broken policy produces, or undefined when it compiles. */
export async function problems(
  text: string,
  file = 'policies/test.yaml',
): Promise<string | undefined> {
  try {
    await compile(text, file)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

/** An event as the health area emits it. */
export function event(
  type: TandemEvent['type'],
  subject: string,
  labels: Record<string, string> = {},
  at = Date.parse('2024-05-01T03:00:00Z'),
): TandemEvent {
  const family = type.split('.')[0]!
  const implied = ['node', 'service', 'vm'].includes(family) ? { [family]: subject } : {}
  return { type, subject, at, labels: { severity: 'critical', ...implied, ...labels }, payload: {} }
}
