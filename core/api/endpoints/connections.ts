// Live LVS connection counts per real server, read from the directors on request (like `ipvsadm -L`).
import { z } from 'zod'
import type { PluginContext } from '../../plugin/index.ts'
import { createCommandRunner } from '../../plugin-host/index.ts'
import { endpoint } from '../route.ts'

const Counts = z.object({
  weight: z.number().int(),
  active: z.number().int().nullable(),
  inactive: z.number().int().nullable(),
})

const ConnectionsOut = z.object({
  at: z.number().int(),
  /** Service → node → what the director's IPVS table says now. */
  services: z.record(z.string(), z.record(z.string(), Counts)),
  /** Why there are no counts (no lvs plugin, a director that did not answer); null when read. */
  error: z.string().nullable(),
})

const READ_TIMEOUT_MS = 15_000

export const lvsConnections = endpoint({
  summary: 'Live active and inactive connections of every LVS real server',
  description:
    "Runs the lvs plugin's `lvs.table` probe (one read-only `ipvsadm -Ln` per director) and returns each real server's weight, ActiveConn and InActConn now. Connection counts change all the time and are never stored; the dashboard polls this next to the weights.",
  tag: 'status',
  response: ConnectionsOut,
  handler: async ({ c, api }) => {
    const at = api.now()
    const found = api.registry?.probe('lvs.table')
    if (!found) return c.json({ at, services: {}, error: 'the lvs plugin is not loaded' })
    const inventory = api.inventory()
    const { module: _module, ...block } = inventory.config.plugins[found.plugin.name] ?? {}
    const ctx: PluginContext = {
      config: found.plugin.config.parse(block),
      inventory,
      // The runner the daemon's probes use: a probe only reads. (The plan's read-only runner
      // does not know `ipvsadm -Ln --thresholds`, which lvs.table reads.)
      runner: createCommandRunner({ inventory, log: api.log }),
      log: api.log,
      signal: AbortSignal.timeout(READ_TIMEOUT_MS),
      timeoutMs: READ_TIMEOUT_MS,
      secrets: { resolve: async () => '' },
      dryRun: false,
    }
    const result = await found.probe.run({}, ctx)
    const lvs = result.facts?.lvs ?? {}
    const services = Object.fromEntries(
      Object.entries(lvs).map(([service, facts]) => [
        service,
        Object.fromEntries(
          Object.entries(facts.servers).map(([node, s]) => [
            node,
            { weight: s.weight, active: s.active ?? null, inactive: s.inactive ?? null },
          ]),
        ),
      ]),
    )
    const error = Object.keys(lvs).length === 0 ? result.detail : null
    return c.json({ at, services, error })
  },
})
