// The contract kit run against the README's example plugin and the executor's test plugins.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createInventory, createSecretResolver } from '../../core/inventory/index.ts'
import { createLocalRunner } from '../../core/plugin-host/index.ts'
import { labConfig, labDir } from '../fixtures/act-lab.ts'
import initd from '../fixtures/example-plugin/index.ts'
import testCluster from '../fixtures/plugins/test-cluster.ts'
import testFence from '../fixtures/plugins/test-fence.ts'
import testLvs from '../fixtures/plugins/test-lvs.ts'
import { testPluginContract } from './contract.ts'

const bin = (name: string) => fileURLToPath(new URL(`../fixtures/bin/${name}`, import.meta.url))
const config = labConfig()
const inventory = createInventory(config)

testPluginContract(initd, {
  config: { service: bin('service_test') },
  inventory,
  actions: { restart: { input: { node: 'node1', name: 'httpd' } } },
  probes: { status: { input: { node: 'node1', name: 'httpd' } } },
})
testPluginContract(testFence, {
  config: config.plugins['test-fence'],
  inventory,
  env: { TANDEM_TEST_FENCE_PASSWORD: 'contract-test-password' },
  actions: { fence: { input: { node: 'node2' } } },
})
testPluginContract(testLvs, {
  config: config.plugins['test-lvs'],
  inventory,
  actions: {
    drain: { input: { service: 'web', node: 'node2' } },
    restore: { input: { service: 'web', node: 'node2' } },
  },
})
testPluginContract(testCluster, {
  config: config.plugins['test-cluster'],
  inventory,
  actions: {
    relocate: { input: { service: 'db', from: 'node2', to: 'node3' } },
    echo: { input: { text: 'hello', label: 'x' } },
  },
})

describe('the example plugin against its tool', () => {
  it('restarts a service and its probe sees it running', async () => {
    const lab = labDir()
    try {
      const ctx = {
        config: { service: bin('service_test') },
        inventory,
        runner: createLocalRunner(),
        log: { debug() {}, info() {}, warn() {}, error() {} },
        signal: new AbortController().signal,
        timeoutMs: 10_000,
        secrets: createSecretResolver(),
        dryRun: false,
      }
      const input = { node: 'node1', name: 'httpd' }
      expect((await initd.probes?.status?.run(input, ctx))?.status).toBe('critical')
      expect(await initd.actions?.restart?.run(input, ctx)).toMatchObject({
        summary: 'httpd restarted on node1',
      })
      expect(await initd.actions?.restart?.verify?.(input, ctx)).toMatchObject({ ok: true })
      expect((await initd.probes?.status?.run(input, ctx))?.status).toBe('ok')
    } finally {
      lab.cleanup()
    }
  })
})
