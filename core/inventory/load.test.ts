// The loader on valid input: defaults, durations, lookups, and secrets that stay references.
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../errors.ts'
import { createInventory, createSecretResolver, loadConfig, parseConfig, redact } from './index.ts'

describe('loadConfig', () => {
  it('reads the demo inventory with durations in milliseconds and defaults filled in', async () => {
    const config = await loadConfig('tandem.yaml')
    const web = config.services.find((s) => s.name === 'web')!
    expect(web.checks[0]).toMatchObject({
      interval: 2_000,
      timeout: 1_000,
      rise: 2,
      fall: 3,
      method: 'GET',
    })
    expect(web.lvs).toMatchObject({
      protocol: 'tcp',
      address: '192.0.2.10',
      port: 80,
      forwarding: 'masq',
    })
    expect(config.fencing.devices[0]!.options.password).toBe('env:TANDEM_DEMO_IPMI_PASSWORD')
  })

  it('answers the questions remediation asks of the inventory', async () => {
    const inv = createInventory(await loadConfig('tandem.yaml'))
    expect(
      inv.realServersOn('node2').map((r) => `${r.service.name}:${r.port}:${r.forwarding}`),
    ).toEqual(['web:8080:masq', 'db:5432:route'])
    expect(inv.guestsOf('node2').map((vm) => vm.name)).toEqual(['guest1'])
    expect(inv.usesSharedStorage(inv.service('db')!)).toBe(true)
    expect(inv.usesSharedStorage(inv.service('web')!)).toBe(false)
    expect(inv.fencingOf('node2')?.levels.length).toBe(2)
  })

  it('reports every problem of a file at once', () => {
    const text = 'nodes:\n  - { name: a, address: 10.0.0.1, rol: [x] }\n  - { name: b }\n'
    const error = (() => {
      try {
        parseConfig('t.yaml', text)
      } catch (e) {
        return e as ConfigError
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect(error!.issues.map((i) => `${i.line}:${i.col} ${i.field}`)).toEqual([
      '2:35 nodes[0].rol',
      '3:5 nodes[1].address',
    ])
    expect(error!.issues[0]!.message).toBe('unknown key "rol"; did you mean "roles"?')
  })
})

describe('secrets', () => {
  it('resolves env: and file: references and redacts what it resolved', async () => {
    const secrets = createSecretResolver({ FENCE_PW: 's3cret-pass' })
    expect(await secrets.resolve('env:FENCE_PW')).toBe('s3cret-pass')
    expect(redact('password=s3cret-pass ok', secrets.known())).toBe('password=*** ok')
    await expect(secrets.resolve('env:MISSING')).rejects.toThrow(
      'environment variable MISSING is not set',
    )
  })
})
