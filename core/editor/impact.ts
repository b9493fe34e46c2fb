// What a config change would mean for the running site: the `lvs.reconcile` commands it implies
// (the lvs plugin's own describe, read-only), the checks and real servers it adds or removes, and
// the policies that would answer a failure differently.
import type { Config } from '../inventory/index.ts'
import { createInventory } from '../inventory/index.ts'
import type { Logger, PlannedCommand } from '../plugin/index.ts'
import { createCommandRunner, type Registry } from '../plugin-host/index.ts'
import {
  type CompiledPolicy,
  createPlanContexts,
  createReadOnlyRunner,
  type MatchChange,
  matchChanges,
} from '../policy/index.ts'

export interface Impact {
  /** The commands `lvs.reconcile` would run against the directors' tables now, or why not known. */
  reconcile: { commands: PlannedCommand[] } | { error: string }
  checks: { added: string[]; removed: string[] }
  realServers: { added: string[]; removed: string[] }
  /** Policies that would match a failure only before, only after, or plan other steps for it. */
  policies: { changes: MatchChange[] } | { error: string }
}

/**
 * Compares the running config with the candidate. The reconcile plan reads each director's
 * IPVS table through a runner that refuses anything but queries.
 *
 * @example
 * const impact = await previewImpact({ before, after, registry, log })
 */
export async function previewImpact(options: {
  before: Config
  after: Config
  registry?: Registry
  /** The policies the daemon runs; absent: `policies` says it cannot tell. */
  policies?: readonly CompiledPolicy[]
  log: Logger
  timeoutMs?: number
}): Promise<Impact> {
  const { before, after } = options
  return {
    reconcile: await reconcilePlan(after, options),
    checks: added(checkNames(before), checkNames(after)),
    realServers: added(realServerNames(before), realServerNames(after)),
    policies: await policyChanges(before, after, options.policies),
  }
}

async function policyChanges(
  before: Config,
  after: Config,
  policies: readonly CompiledPolicy[] | undefined,
): Promise<Impact['policies']> {
  if (!policies) return { error: 'this server runs no policies' }
  try {
    const inventories = { before: createInventory(before), after: createInventory(after) }
    return { changes: await matchChanges({ ...inventories, policies }) }
  } catch (error) {
    return { error: (error as Error).message }
  }
}

async function reconcilePlan(
  config: Config,
  options: { registry?: Registry; log: Logger; timeoutMs?: number },
): Promise<Impact['reconcile']> {
  const registry = options.registry
  if (!registry?.plugin('lvs')) return { error: 'the lvs plugin is not loaded' }
  if (!config.services.some((s) => s.lvs)) return { commands: [] }
  try {
    const inventory = createInventory(config)
    const { action } = registry.action('lvs.reconcile')
    if (!action.describe) return { error: 'lvs.reconcile cannot describe its commands' }
    const context = createPlanContexts({
      registry,
      config,
      inventory,
      runner: createReadOnlyRunner(createCommandRunner({ inventory, log: options.log })),
      log: options.log,
      timeoutMs: options.timeoutMs ?? 10_000,
    })
    return { commands: await action.describe(action.input.parse({}), context('lvs')) }
  } catch (error) {
    return { error: (error as Error).message }
  }
}

function checkNames(config: Config): Set<string> {
  const names = new Set<string>()
  for (const node of config.nodes)
    for (const c of node.checks) names.add(`node/${node.name}/${c.name}`)
  for (const service of config.services)
    for (const c of service.checks)
      for (const server of service.real_servers)
        names.add(`${service.name}/${server.node}/${c.name}`)
  return names
}

function realServerNames(config: Config): Set<string> {
  const names = new Set<string>()
  for (const service of config.services)
    for (const server of service.real_servers) names.add(`${service.name}/${server.node}`)
  return names
}

function added(before: Set<string>, after: Set<string>) {
  return {
    added: [...after].filter((n) => !before.has(n)).sort(),
    removed: [...before].filter((n) => !after.has(n)).sort(),
  }
}
