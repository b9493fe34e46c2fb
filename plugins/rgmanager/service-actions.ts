// rgmanager actions on a service in place: disable, restart, freeze and unfreeze, plus shared helpers.
import {
  defineAction,
  type Inventory,
  PluginError,
  type VerifyResult,
  z,
} from '../../core/plugin/index.ts'
import { type ClusterStatus, isRunning, type ServiceState } from './clustat.ts'
import {
  type Ctx,
  clusvcadm,
  clusvcadmArgv,
  type RgmanagerConfig,
  RgServiceName,
  readStatus,
  rgName,
} from './tools.ts'

export const ServiceInput = z.object({
  /** Inventory service (or VM) name, or an rgmanager name such as `service:db` / `vm:guest1`. */
  service: RgServiceName,
})

export const disable = serviceAction({
  description: 'Stop a service and keep it stopped until enabled (clusvcadm -d).',
  flag: '-d',
  verb: 'disable',
  idempotent: true,
  destructive: true,
  expect: (svc) => svc.state === 'disabled',
  wanted: 'disabled',
})

export const restart = serviceAction({
  description: 'Restart a service in place on its owner (clusvcadm -R).',
  flag: '-R',
  verb: 'restart',
  idempotent: false,
  destructive: true,
  expect: isRunning,
  wanted: 'running',
})

export const freeze = serviceAction({
  description: 'Freeze a service: no status checks, no failover, no transitions (clusvcadm -Z).',
  flag: '-Z',
  verb: 'freeze',
  idempotent: true,
  destructive: false,
  expect: (svc) => svc.flags.includes('frozen'),
  wanted: 'frozen',
})

export const unfreeze = serviceAction({
  description: 'Thaw a frozen service: status checks and failover resume (clusvcadm -U).',
  flag: '-U',
  verb: 'unfreeze',
  idempotent: true,
  destructive: false,
  expect: (svc) => !svc.flags.includes('frozen'),
  wanted: 'not frozen',
})

/** The inventory service behind an input name (by name, or by its rgmanager placement). */
export function inventoryService(inventory: Inventory, name: string) {
  const rg = rgName(inventory, name)
  return (
    inventory.service(name) ??
    inventory.config.services.find((s) => {
      const placed = s.cluster?.rgmanager?.service
      return placed !== undefined && rgName(inventory, placed) === rg
    })
  )
}

/** Reads clustat back and checks one service against `expect`. */
export async function verifyService(
  ctx: Ctx,
  name: string,
  expect: (svc: ServiceState) => boolean,
  wanted: string,
): Promise<VerifyResult> {
  const status = await readStatus(ctx)
  const svc = findService(status, name)
  if (!svc) return { ok: false, detail: `${name} is not in clustat -x ${why(status)}`.trim() }
  const ok = expect(svc)
  return { ok, detail: `${name} is ${describeService(svc)}${ok ? '' : `; expected ${wanted}`}` }
}

export function findService(status: ClusterStatus, name: string): ServiceState | undefined {
  return status.services?.find((s) => s.name === name)
}

/** "started on node2", "stopped (last on node3), frozen". */
export function describeService(svc: ServiceState): string {
  const where = svc.owner ? ` on ${svc.owner}` : svc.lastOwner ? ` (last on ${svc.lastOwner})` : ''
  const flags = svc.flags.length ? `, ${svc.flags.join(', ')}` : ''
  return `${svc.state}${where}${flags}`
}

/** Why clustat shows no services: its own notice, or no quorum. */
export function why(status: ClusterStatus): string {
  if (status.notice) return `(${status.notice})`
  return status.quorate === false ? '(cluster inquorate)' : ''
}

/** clusvcadm prints "Trying to … ...Success" and maybe a second line: one line for the journal. */
export function oneLine(output: string): string {
  return output.split('\n').filter(Boolean).join(' — ')
}

/** A node the input names must be a configured node of the cluster clustat reports. */
export function requireClusterNode(status: ClusterStatus, node: string): void {
  if (status.nodes.some((n) => n.name === node)) return
  const names = status.nodes.map((n) => n.name).join(', ')
  throw new PluginError(
    'rgmanager',
    'UNKNOWN_NODE',
    `${node} is not a node of cluster ${status.cluster?.name ?? '?'} (clustat -x lists ${names || 'no nodes'})`,
  )
}

function serviceAction(spec: {
  description: string
  flag: string
  verb: string
  idempotent: boolean
  destructive: boolean
  expect: (svc: ServiceState) => boolean
  wanted: string
}) {
  return defineAction<typeof ServiceInput, RgmanagerConfig>({
    description: spec.description,
    input: ServiceInput,
    idempotent: spec.idempotent,
    destructive: spec.destructive,
    scope: 'operate',
    target: (input) => `service/${input.service}`,
    describe(input, ctx) {
      const name = rgName(ctx.inventory, input.service)
      return [{ argv: clusvcadmArgv(ctx, [spec.flag, name]), note: `${spec.verb} ${name}` }]
    },
    async run(input, ctx) {
      const name = rgName(ctx.inventory, input.service)
      const { output, node } = await clusvcadm(ctx, [spec.flag, name])
      return {
        summary: oneLine(output),
        data: { service: name, output },
        commands: [{ argv: clusvcadmArgv(ctx, [spec.flag, name]), node }],
      }
    },
    verify: (input, ctx) =>
      verifyService(ctx, rgName(ctx.inventory, input.service), spec.expect, spec.wanted),
  })
}
