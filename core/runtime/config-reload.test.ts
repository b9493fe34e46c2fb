// Hot reload of the config file: a good file is swapped in under the running parts, a refused one
// leaves the last good config running, and what needs a restart is named.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { builtinPlugins } from '../../plugins/index.ts'
import { createReloadableInventory, loadConfig } from '../inventory/index.ts'
import { createLogger } from '../log.ts'
import { createRegistry } from '../plugin-host/index.ts'
import { createConfigReloader } from './config-reload.ts'

let dir: string
let file: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-reload-'))
  file = join(dir, 'tandem.yaml')
  await writeFile(
    file,
    (await readFile('tandem.yaml', 'utf8')).replace(
      /\n {6}- \{ node: node3, port: 8080, weight: 3 \}/,
      '',
    ),
  )
})
afterAll(() => rm(dir, { recursive: true, force: true }))

it('swaps a saved config in, keeps the last good one when the file is refused', async () => {
  const inventory = createReloadableInventory(await loadConfig(file))
  const reloads: { probes: boolean }[] = []
  const reloader = createConfigReloader({
    configFile: file,
    inventory,
    registry: createRegistry(builtinPlugins),
    log: createLogger({ level: 'silent' }),
    onReload: async (_config, changed) => void reloads.push(changed),
  })
  const web = () => inventory.realServersOn('node3').map((r) => r.service.name)
  expect(web()).toEqual(['db'])

  const text = await readFile(file, 'utf8')
  await writeFile(
    file,
    text.replace('weight: 5 }', 'weight: 5 }\n      - { node: node3, port: 8080, weight: 3 }'),
  )
  expect(await reloader.reload()).toEqual({
    status: 'reloaded',
    changed: ['services'],
    restartFor: [],
  })
  expect(web()).toEqual(['web', 'db'])
  expect(reloads).toEqual([{ probes: true }])

  // A hand edit the loader refuses: the error names file, line and field; nothing changes.
  const good = await readFile(file, 'utf8')
  await writeFile(file, good.replace('weight: 3 }', 'weight: -3 }'))
  const refused = await reloader.reload()
  expect(refused.status).toBe('kept')
  expect(refused).toMatchObject({
    error: expect.stringMatching(/tandem\.yaml:\d+:\d+.*weight.*at least 0/),
  })
  expect(
    inventory.realServersOn('node3').find((r) => r.service.name === 'web')?.server.weight,
  ).toBe(3)
  expect(reloads).toHaveLength(1)

  // The listen address is read once at start: the reload says a restart is needed for it.
  await writeFile(file, good.replace('listen: 127.0.0.1:8080', 'listen: 127.0.0.1:8081'))
  expect(await reloader.reload()).toEqual({
    status: 'reloaded',
    changed: ['daemon'],
    restartFor: ['daemon'],
  })
  expect(reloads.at(-1)).toEqual({ probes: false })

  // A plugin's own settings are read again by the running parts; which modules load is not.
  await writeFile(file, good.replace('  lvs: {}', '  lvs: { ipvsadm: /usr/local/sbin/ipvsadm }'))
  expect(await reloader.reload()).toEqual({
    status: 'reloaded',
    changed: ['daemon', 'plugins'],
    restartFor: ['daemon'],
  })
  await writeFile(
    file,
    good.replace('  lvs: {}', '  lvs: {}\n  site: { module: ./site-plugin.js }'),
  )
  expect(await reloader.reload()).toEqual({
    status: 'reloaded',
    changed: ['plugins'],
    restartFor: ['plugins'],
  })

  // Valid for the loader but refused when the parts start (a probe that cannot run): rolled back.
  const failing = createConfigReloader({
    configFile: file,
    inventory,
    registry: createRegistry(builtinPlugins),
    log: createLogger({ level: 'silent' }),
    onReload: async (config) => {
      if (config.services[0]?.lvs?.scheduler === 'rr') throw new Error('[probe] cannot start')
    },
  })
  await writeFile(file, good.replace('scheduler: wrr', 'scheduler: rr'))
  expect(await failing.reload()).toMatchObject({
    status: 'kept',
    error: expect.stringContaining('cannot start'),
  })
  expect(inventory.service('web')?.lvs?.scheduler).toBe('wrr')
})
