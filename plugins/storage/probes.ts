// The storage probes: exports on their servers, and each node's GFS mounts and imported devices.
import {
  defineProbe,
  type ExportFacts,
  guardProbe,
  type MountFacts,
  Name,
  type ProbeStatus,
  z,
} from '../../core/plugin/index.ts'
import type { StorageConfig } from './config.ts'
import { type ExportView, type MountView, readExports, readNode } from './read.ts'

const ExportsInput = z.strictObject({ export: Name.optional() })
const MountsInput = z.strictObject({ node: Name })

export const exportsProbe = defineProbe<typeof ExportsInput, StorageConfig>({
  description:
    'GNBD exports (gnbd_export -l on the server) and NBD exports (nbd-client -l): served or gone',
  input: ExportsInput,
  run: (input, ctx) =>
    guardProbe(async () => {
      const views = await readExports(ctx, input.export ? [input.export] : undefined)
      const bad = views.filter((v) => v.state !== 'exported')
      const status: ProbeStatus = bad.length ? 'critical' : 'ok'
      return {
        status,
        detail: bad.length
          ? bad.map((v) => `${v.export}: ${v.detail}`).join('; ')
          : `${views.length} exports served`,
        data: { exports: views },
        facts: { exports: Object.fromEntries(views.map((v) => [v.export, exportFacts(v)])) },
      }
    }),
})

export const mountsProbe = defineProbe<typeof MountsInput, StorageConfig>({
  description:
    "a node's GFS/GFS2 mounts (/proc/mounts, /sys/fs/gfs2: withdrawn, lock protocol and table) and the devices under them",
  input: MountsInput,
  run: (input, ctx) =>
    guardProbe(async () => {
      const views = await readNode(ctx, input.node)
      return {
        status: mountStatus(views),
        detail: views.map((v) => `${v.volume}: ${v.detail}`).join('; ') || 'mounts no GFS',
        data: { mounts: views },
        facts: {
          mounts: Object.fromEntries(views.map((v) => [`${v.volume}/${v.node}`, mountFacts(v)])),
        },
      }
    }),
})

/**
 * Critical when a mount cannot serve: withdrawn, missing, or mounted on a device cut off from its
 * export (GNBD queues the I/O of a disconnected import until it fails; nothing on it can run).
 * Its alert joins the export's incident through its `storage` label instead of paging alone.
 */
function mountStatus(views: MountView[]): ProbeStatus {
  if (views.some((v) => v.state === 'withdrawn' || v.state === 'missing')) return 'critical'
  if (views.some((v) => v.state === 'unreachable')) return 'unknown'
  if (views.some((v) => !['imported', 'local'].includes(v.importState))) return 'critical'
  if (views.some((v) => v.state === 'readonly')) return 'warning'
  return 'ok'
}

function exportFacts(view: ExportView): ExportFacts {
  return { state: view.state, server: view.server }
}

function mountFacts(view: MountView): MountFacts {
  return { state: view.state, import: view.importState }
}
