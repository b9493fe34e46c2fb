// After a config reload the executor reads the new plugin settings and monitor.blind_threshold
// at its next step, without a restart (one reloadable inventory under every part).
import { readFile } from 'node:fs/promises'
import { afterAll, expect, it } from 'vitest'
import { builtinPlugins } from '../../plugins/index.ts'
import { createReloadableInventory, createSecretResolver, parseConfig } from '../inventory/index.ts'
import { createLogger } from '../log.ts'
import { createRegistry } from '../plugin-host/index.ts'
import { openStore, type Store } from '../store/index.ts'
import { createHealthClusterView } from './cluster-view.ts'
import { createEngine } from './engine.ts'

let store: Store | undefined
afterAll(() => store?.close())

it('takes a reloaded plugin setting and blind threshold at the next step', async () => {
  const text = await readFile('tandem.yaml', 'utf8')
  const inventory = createReloadableInventory(parseConfig('tandem.yaml', text))
  const registry = createRegistry(builtinPlugins)
  store = await openStore('file::memory:')
  const engine = createEngine({
    store,
    registry,
    inventory,
    secrets: createSecretResolver(),
    log: createLogger({ level: 'silent' }),
    // Notices are not what this test is about: a sink that queues nothing.
    notices: { escalate: async () => {}, runUpdate: async () => {} },
    clusterView: createHealthClusterView(store.db, inventory),
  })
  const lvs = registry.plugin('lvs')!
  expect(engine.configOf(lvs)).toMatchObject({ ipvsadm: 'ipvsadm' })
  expect(engine.blindThreshold).toBe(0.5)

  const edited = text
    .replace('  lvs: {}', '  lvs: { ipvsadm: /usr/local/sbin/ipvsadm }')
    .replace('  blind_threshold: 0.5', '  blind_threshold: 0.8')
  inventory.swap(parseConfig('tandem.yaml', edited))
  expect(engine.configOf(lvs)).toMatchObject({ ipvsadm: '/usr/local/sbin/ipvsadm' })
  expect(engine.blindThreshold).toBe(0.8)
})
