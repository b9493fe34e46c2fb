// Test helper: the demo inventory, a registry of the test plugins, and a one-call policy compiler.
import { readFile } from 'node:fs/promises'
import type { TandemEvent } from '../../core/health/index.ts'
import {
  type Config,
  createInventory,
  type Inventory,
  parseConfig,
} from '../../core/inventory/index.ts'
import { createRegistry, type Registry } from '../../core/plugin/index.ts'
import { type CompiledPolicy, compilePolicy } from '../../core/policy/index.ts'
import { testPlugins } from './plugins.ts'

export interface Demo {
  config: Config
  inventory: Inventory
  registry: Registry
}

let cached: Demo | undefined

/** The demo inventory (tandem.yaml at the repository root) with the test plugins. */
export async function demo(): Promise<Demo> {
  if (cached) return cached
  const file = new URL('../../tandem.yaml', import.meta.url)
  const config = parseConfig('tandem.yaml', await readFile(file, 'utf8'))
  cached = { config, inventory: createInventory(config), registry: createRegistry(testPlugins) }
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
