// The storage plugin: GFS/GFS2 mounts, GNBD and NBD exports and imports — probes, and the actions
// that mount, import, export and recover a withdrawn filesystem. Storage fencing stays in `fence`.
import { definePlugin } from '../../core/plugin/index.ts'
import { exportDevice, importExport, unexportDevice } from './actions/blocks.ts'
import { mount, unmount } from './actions/mounts.ts'
import { recoverWithdrawn } from './actions/recover.ts'
import { StorageConfig } from './config.ts'
import { exportsProbe, mountsProbe } from './probes.ts'

export { StorageConfig } from './config.ts'

export default definePlugin<StorageConfig>({
  name: 'storage',
  description: 'shared storage: GFS/GFS2 mounts (withdrawn, read-only), GNBD and NBD exports',
  config: StorageConfig,
  actions: {
    mount,
    unmount,
    import: importExport,
    export: exportDevice,
    unexport: unexportDevice,
    recover_withdrawn: recoverWithdrawn,
  },
  probes: { exports: exportsProbe, mounts: mountsProbe },
})
