// One interface over xl, xm and virsh: list guests, free memory, migrate, start, read a state.
import {
  type CommandResult,
  type PlannedCommand,
  type PluginContext,
  PluginError,
  unreachable,
} from '../../core/plugin/index.ts'
import type { Toolstack, XenConfig } from './config.ts'
import {
  type DomainRow,
  type DomainState,
  kibToMiB,
  parseKeyValues,
  parseVirshList,
  parseVirshState,
  parseXlList,
} from './parse.ts'

type Ctx = PluginContext<XenConfig>

/** The argv each toolstack runs, on the node given with it. */
export function argvFor(ctx: Ctx, toolstack: Toolstack) {
  const bin = ctx.config[toolstack]
  const address = (node: string) => ctx.inventory.node(node)?.address ?? node
  return {
    list: () => (toolstack === 'virsh' ? [bin, 'list', '--all'] : [bin, 'list']),
    info: () => (toolstack === 'virsh' ? [bin, 'nodeinfo'] : [bin, 'info']),
    migrate(vm: string, to: string): string[] {
      if (toolstack === 'xl') return [bin, 'migrate', vm, address(to)]
      if (toolstack === 'xm') return [bin, 'migrate', '--live', vm, address(to)]
      return [bin, 'migrate', '--live', vm, libvirtUri(ctx, vm, to)]
    },
    start(vm: string): string[] {
      if (toolstack === 'virsh') return [bin, 'start', vm]
      return [bin, 'create', ctx.config.config_path.replaceAll('{vm}', vm)]
    },
    state: (vm: string) => (toolstack === 'virsh' ? [bin, 'domstate', vm] : [bin, 'list', vm]),
  }
}

/** The guests a host runs or knows, as its toolstack lists them (Domain-0 left out). */
export async function listGuests(
  ctx: Ctx,
  toolstack: Toolstack,
  host: string,
): Promise<DomainRow[]> {
  const result = await run(ctx, host, argvFor(ctx, toolstack).list(), ctx.config.read_timeout)
  failOn(result, host, 'list')
  const rows = toolstack === 'virsh' ? parseVirshList(result.stdout) : parseXlList(result.stdout)
  return rows.filter((r) => r.name !== 'Domain-0' && r.id !== 0)
}

/**
 * Free memory of a host in MiB: `xl info`/`xm info` free_memory; for virsh, `nodeinfo`'s
 * memory size less the used memory of every running domain (`dominfo`), Domain-0 included.
 */
export async function freeMemoryMiB(ctx: Ctx, toolstack: Toolstack, host: string): Promise<number> {
  const argv = argvFor(ctx, toolstack)
  const info = await run(ctx, host, argv.info(), ctx.config.read_timeout)
  failOn(info, host, 'info')
  const fields = parseKeyValues(info.stdout)
  if (toolstack !== 'virsh') return Number(fields.free_memory ?? Number.NaN)
  const total = kibToMiB(fields['Memory size']) ?? 0
  const listed = await run(ctx, host, argv.list(), ctx.config.read_timeout)
  failOn(listed, host, 'list')
  let used = 0
  for (const row of parseVirshList(listed.stdout).filter((r) => r.id !== null)) {
    const dominfo = await run(
      ctx,
      host,
      [ctx.config.virsh, 'dominfo', row.name],
      ctx.config.read_timeout,
    )
    failOn(dominfo, host, 'dominfo')
    used += kibToMiB(parseKeyValues(dominfo.stdout)['Used memory']) ?? 0
  }
  return total - used
}

/** The guest's state on `host`: `shutoff` when that host does not run it. */
export async function stateOn(
  ctx: Ctx,
  toolstack: Toolstack,
  host: string,
  vm: string,
): Promise<DomainState> {
  const result = await run(ctx, host, argvFor(ctx, toolstack).state(vm), ctx.config.read_timeout)
  if (result.code !== 0) {
    const error = classify(result, host, 'state')
    if (error.kind === 'NO_SUCH_DOMAIN') return 'shutoff'
    throw error
  }
  if (toolstack === 'virsh') return parseVirshState(result.stdout)
  return parseXlList(result.stdout).find((r) => r.name === vm)?.state ?? 'shutoff'
}

/** Runs a toolstack command on a node; `what` names it in errors. */
export function run(
  ctx: Ctx,
  node: string,
  argv: string[],
  timeoutMs: number,
): Promise<CommandResult> {
  return ctx.runner.run({ argv, node, timeoutMs, signal: ctx.signal })
}

export function planned(node: string, argv: string[], note: string): PlannedCommand {
  return { argv, node, note }
}

/** Throws the typed error for a failed command, keeping the tool's words. */
export function failOn(result: CommandResult, host: string, what: string): void {
  if (result.code !== 0) throw classify(result, host, what)
}

/**
 * Types a toolstack failure by its own words: ssh (exit 255) and libvirt's "Cannot recv data"
 * mean the host is unreachable; "failed to free memory", libxenlight's "failed to get free
 * memory" and xend's "Not enough memory" mean no room; unknown domains in each dialect.
 */
export function classify(result: CommandResult, host: string, what: string): PluginError {
  const words = (result.stderr.trim() || result.stdout.trim() || `exit ${result.code}`).trim()
  let kind = 'TOOL_FAILED'
  if (result.timedOut) kind = 'TIMEOUT'
  else if (/free memory|Not enough memory/.test(words)) kind = 'NO_MEMORY'
  else if (/invalid domain identifier|Domain '.*' does not exist|failed to get domain/.test(words))
    kind = 'NO_SUCH_DOMAIN'
  else if (/already exists|already active/.test(words)) kind = 'ALREADY_RUNNING'
  else if (unreachable(result)) kind = 'HOST_UNREACHABLE'
  else if (/Cannot recv data|can't connect|truncated reading banner/.test(words))
    kind = 'TARGET_UNREACHABLE'
  return new PluginError('xen', kind, words, {
    exitCode: result.code,
    context: `${what} on ${host}`,
  })
}

function libvirtUri(ctx: Ctx, vm: string, to: string): string {
  const template = ctx.inventory.vm(vm)?.uri ?? ctx.config.virsh_uri
  const address = ctx.inventory.node(to)?.address ?? to
  return template.replaceAll('{host}', to).replaceAll('{address}', address)
}
