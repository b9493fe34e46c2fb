// Shared set-up of the Xen end-to-end tests: three hypervisors reached over the lab ssh.
import type { ConfigInput } from '../../core/inventory/index.ts'
import xen from '../../plugins/xen/index.ts'
import { labContext } from '../lab/plugin-context.ts'
import { readWorld, updateWorld } from '../lab/world.mjs'

export type Stack = 'xl' | 'xm' | 'virsh'

/** node1 and node2 are big (8 GiB, 1 GiB for dom0), node3 is small (1 GiB left for guests). */
export function xenLab(
  toolstack: Stack,
  extra: { guests?: Record<string, unknown>; world?: object } = {},
) {
  const now = Date.now()
  const guests: Record<string, { host: string; memory: number; id: number }> = {
    guest1: { host: 'node1', memory: 2048, id: 1 },
    guest2: { host: 'node1', memory: 1024, id: 2 },
    guest3: { host: 'node2', memory: 512, id: 3 },
    ...(extra.guests as Record<string, { host: string; memory: number; id: number }>),
  }
  const inventory: ConfigInput = {
    nodes: ['node1', 'node2', 'node3'].map((name, i) => ({
      name,
      address: `127.0.1.${i + 1}`,
      roles: ['cluster', 'hypervisor'],
      ssh: {},
    })),
    vms: Object.entries(guests).map(([name, g]) => ({
      name,
      host: g.host,
      toolstack,
      memory_mib: g.memory,
    })),
  }
  return labContext(xen, {
    inventory,
    config: {},
    world: {
      nodes: Object.fromEntries(
        ['node1', 'node2', 'node3'].map((n, i) => [
          n,
          { up: true, power: 'on', address: `127.0.1.${i + 1}` },
        ]),
      ),
      xen: {
        hosts: {
          node1: { memory: 8192, dom0: 1024 },
          node2: { memory: 8192, dom0: 1024 },
          node3: { memory: 2048, dom0: 1024 },
        },
        domains: Object.fromEntries(
          Object.entries(guests).map(([name, g]) => [
            name,
            { ...g, state: 'running', vcpus: 1, startedAt: now },
          ]),
        ),
        nextId: 10,
      },
      ...extra.world,
    },
  })
}

type XenWorld = {
  domains: Record<string, { host: string; state: string }>
  violations?: unknown[]
  maxMigrating?: number
}

export function xenWorld(): XenWorld {
  return (readWorld() as unknown as { xen: XenWorld }).xen
}

/** Where each guest runs according to the world (dead hosts' guests excluded). */
export function hostOf(vm: string): string | undefined {
  const world = readWorld()
  const dom = xenWorld().domains[vm]
  const node = dom ? world.nodes[dom.host] : undefined
  return dom && dom.state !== 'shutoff' && node?.up !== false && node?.power !== 'off'
    ? dom.host
    : undefined
}

/** Changes a node in the world (power it off, partition it ...). */
export function setNode(name: string, state: Record<string, unknown>) {
  updateWorld((world) => void Object.assign(world.nodes[name] ?? {}, state))
}
