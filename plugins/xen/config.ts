// The xen plugin's config block: toolstack binaries, guest config paths, libvirt URIs, limits.
import { Duration, z } from '../../core/plugin/index.ts'

export const XenConfig = z.strictObject({
  xl: z.string().min(1).default('xl'),
  xm: z.string().min(1).default('xm'),
  virsh: z.string().min(1).default('virsh'),
  /** Guest config file for `xl create` / `xm create` when a guest restarts on a survivor. */
  config_path: z.string().includes('{vm}').default('/etc/xen/{vm}.cfg'),
  /** libvirt URI of a destination host; `{host}` (node name) and `{address}` are substituted. */
  virsh_uri: z.string().default('xen+ssh://{address}/system'),
  /** Toolstack for guests on a host that the inventory does not declare. */
  toolstack: z.enum(['xl', 'xm', 'virsh']).default('xl'),
  /** Guests migrated at once by `evacuate` when the step does not say. */
  evacuate_concurrency: z.number().int().min(1).max(32).default(2),
  /** Memory (MiB) a host keeps free after a guest is placed on it. */
  reserve_mib: z.number().int().min(0).default(0),
  migrate_timeout: Duration.default(600_000),
  /** Time allowed for list/info reads. */
  read_timeout: Duration.default(30_000),
})

export type XenConfig = z.output<typeof XenConfig>
export type Toolstack = XenConfig['toolstack']
