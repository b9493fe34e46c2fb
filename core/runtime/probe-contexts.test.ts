// Probe contexts: a plugin's config block parsed once while it stands, again after a reload brings a new one.
import { expect, it } from 'vitest'
import { z } from 'zod'
import { createReloadableInventory, parseConfig } from '../inventory/index.ts'
import { createLogger } from '../log.ts'
import { definePlugin } from '../plugin/index.ts'
import { createProbeContexts } from './probe-contexts.ts'

const configWith = (tool: string) =>
  parseConfig(
    'probe-contexts.yaml',
    `
cluster: { name: demo, manager: rgmanager }
nodes:
  - { name: node1, address: 127.0.1.1 }
plugins:
  gauge: { module: ./gauge.js, tool: ${tool} }
`,
  )

// Strict: the `module:` key (where a third-party plugin is loaded from) must not reach its schema.
const gauge = definePlugin({
  name: 'gauge',
  description: 'a probe-only plugin for this test',
  config: z.strictObject({ tool: z.string() }),
})
const run = () => ({ signal: new AbortController().signal, timeoutMs: 1_000 })

it('parses a block once while it stands, and the new block after a reload', () => {
  const inventory = createReloadableInventory(configWith('/usr/bin/gauge'))
  const secrets = { resolve: async () => '', known: () => [] }
  const probeContext = createProbeContexts({ inventory, log: createLogger(), secrets })
  const first = probeContext(gauge, run())
  expect(first.config).toEqual({ tool: '/usr/bin/gauge' })
  expect(first.dryRun).toBe(false)
  // The same parsed value, not a new parse per probe (10,000 probes a minute read it).
  expect(probeContext(gauge, run()).config).toBe(first.config)
  inventory.swap(configWith('/opt/gauge'))
  expect(probeContext(gauge, run()).config).toEqual({ tool: '/opt/gauge' })
})
