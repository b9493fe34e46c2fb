// The storage plugin's config block: tool paths (a test or a site points them anywhere) and time limits.
import { Duration, z } from '../../core/plugin/index.ts'

export const StorageConfig = z.strictObject({
  gnbd_export: z.string().min(1).default('gnbd_export'),
  gnbd_import: z.string().min(1).default('gnbd_import'),
  nbd_client: z.string().min(1).default('nbd-client'),
  nbd_server: z.string().min(1).default('nbd-server'),
  /** nbd-server's config file on the storage server (`nbd-server -C`), one section per export. */
  nbd_server_config: z.string().startsWith('/').default('/etc/nbd-server/config'),
  mount: z.string().min(1).default('mount'),
  umount: z.string().min(1).default('umount'),
  /** fsck.gfs2 (GFS2) or gfs_fsck (GFS); run only when a recovery step asks for it. */
  fsck_gfs2: z.string().min(1).default('fsck.gfs2'),
  fsck_gfs: z.string().min(1).default('gfs_fsck'),
  /**
   * Reads /proc/mounts and /sys in one call (`grep -rsH '' PATH...`: one `path:line` per line,
   * unreadable sysfs attributes skipped).
   */
  grep: z.string().min(1).default('grep'),
  read_timeout: Duration.default(15_000),
  mount_timeout: Duration.default(120_000),
  /** fsck of a whole filesystem can take hours on a large volume. */
  fsck_timeout: Duration.default(4 * 3_600_000),
})

export type StorageConfig = z.output<typeof StorageConfig>
