// The contract kit over every built-in plugin, each from the example site beside its code (contract.ts).
import { existsSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { definePlugin, z } from '../../core/plugin/index.ts'
import { builtinPlugins } from '../../plugins/index.ts'
import { builtinPlugins as fixtureList } from '../fixtures/builtins/index.ts'
import { visits } from '../fixtures/builtins/sysctl/contract.ts'
import { contractSiteOf, testContractSites } from './contract-sites.ts'

const FIXTURES = new URL('../fixtures/builtins/', import.meta.url)

const PLUGINS = new URL('../../plugins/', import.meta.url)
const registered = testContractSites(builtinPlugins, PLUGINS)
// A new built-in (a fixture list, so plugins/index.ts stays real): one folder plus one line.
testContractSites(fixtureList, FIXTURES)

describe('the contract kit over the built-in list', () => {
  it('runs for every entry of plugins/index.ts', () => {
    expect(registered.length).toBeGreaterThanOrEqual(8)
    expect(registered).toEqual(builtinPlugins.map((plugin) => plugin.name))
  })

  it('has every plugin folder in the list (a folder without its line is never loaded)', () => {
    const folders = readdirSync(PLUGINS, { withFileTypes: true })
      .filter(
        (entry) => entry.isDirectory() && existsSync(new URL(`${entry.name}/index.ts`, PLUGINS)),
      )
      .map((entry) => entry.name)
    expect([...registered].sort()).toEqual(folders.sort())
  })

  it('ran for a new built-in from its folder alone: its site was set up and closed once', () => {
    // Runs after the kit's checks above (a file's tests run in order).
    expect(visits).toEqual({ opened: 1, closed: 1 })
  })

  it('fails a plugin without an example site, saying what to add', async () => {
    const bare = definePlugin({ name: 'bare', description: 'no site', config: z.object({}) })
    await expect(contractSiteOf(bare, FIXTURES)).rejects.toThrow(
      /plugin "bare" has no example site: add test\/fixtures\/builtins\/bare\/contract\.ts/,
    )
  })
})
