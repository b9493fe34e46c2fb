import { readdir, readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { compile, problems } from '../../test/policy/fixtures.ts'
import { ConfigError } from '../errors.ts'

const minimal = (extra = '') => `on: node.down
steps:
  - uses: fence.fence
    with: { node: "\${{ event.subject }}" }
${extra}`

describe('compilePolicy', () => {
  it('compiles every example policy against the contract action names', async () => {
    const dir = new URL('../../policies/', import.meta.url)
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'))
    expect(files.length).toBeGreaterThanOrEqual(5)
    for (const file of files) {
      const policy = await compile(await readFile(new URL(file, dir), 'utf8'), `policies/${file}`)
      expect(policy.name).toBe(file.replace(/\.yaml$/, ''))
    }
  })

  it('fills defaults a reader would expect', async () => {
    const policy = await compile(minimal(), 'policies/fence-it.yaml')
    expect(policy.name).toBe('fence-it')
    expect(policy.steps[0]).toMatchObject({
      name: 'fence.fence',
      timeoutMs: 60_000,
      retry: { count: 0, backoffMs: 5_000 },
      verify: true,
      onFailure: 'abort',
    })
    expect(policy.guards).toMatchObject({
      requireQuorum: true,
      maintenanceAware: true,
      approval: 'none',
    })
  })

  it('names the nearest action for a typo, at the line and column of uses:', async () => {
    const text =
      'on: node.down\nsteps:\n  - uses: lvs.drian\n    with: { service: web, node: node2 }\n'
    expect(await problems(text)).toBe(
      'policies/test.yaml:3:11: steps[0].uses: unknown action "lvs.drian"; did you mean "lvs.drain"?',
    )
  })

  it('refuses unknown and mistyped inputs, and names that are not in the inventory', async () => {
    const text = `on: node.down
steps:
  - uses: lvs.set_weight
    with:
      service: wbe
      node: \${{ event.subject }}
      weight: \${{ event.subject }}
      servce: web
`
    expect((await problems(text))?.split('\n')).toEqual([
      'policies/test.yaml:5:16: steps[0].with.service: no service named "wbe"; did you mean "web"?',
      'policies/test.yaml:8:15: steps[0].with.servce: unknown input "servce"; did you mean "service"?',
    ])
  })

  it('refuses a template whose type the action cannot take', async () => {
    // lvs weights take strings of digits (checked when planned); a yes/no cannot be a string.
    const text = `on: check.failed
steps:
  - uses: storage.recover_withdrawn
    with: { volume: gfs-data, node: "\${{ event.subject }}", fsck: "\${{ event.subject }}" }
`
    expect(await problems(text)).toBe(
      'policies/test.yaml:4:67: steps[0].with.fsck: the template gives string; the action expects boolean',
    )
  })

  it('checks literal inputs with the action schema', async () => {
    const text =
      'on: node.down\nsteps:\n  - uses: lvs.set_weight\n    with: { service: web, node: node2, weight: -1 }\n'
    expect(await problems(text)).toBe(
      'policies/test.yaml:4:48: steps[0].with.weight: must be at least 0',
    )
  })

  it('points CEL syntax and type errors at the character, also inside a block scalar', async () => {
    const text = `on: node.down
if: >-
  health.quorate &&
  event.lables.node == "x"
steps:
  - uses: fence.fence
    with: { node: "\${{ event.subject + 1 }}" }
`
    expect((await problems(text))?.split('\n')).toEqual([
      'policies/test.yaml:4:9: if: No such key: lables',
      'policies/test.yaml:7:24: steps[0].with.node: no such overload: string + int',
    ])
    expect(await problems(minimal('if: health.quorate &&'))).toBe(
      'policies/test.yaml:5:22: if: Unexpected token: EOF',
    )
  })

  it('refuses a condition that is not a bool', async () => {
    expect(await problems(minimal('if: event.subject'))).toBe(
      'policies/test.yaml:5:5: if: the condition gives string; it must give bool',
    )
  })

  it('catches unknown nodes, services and globs that match nothing in selectors', async () => {
    const text = `on:
  - event: node.down
    node: nod2
  - event: check.failed
    service: [web, "db*x"]
steps:
  - uses: fence.fence
    with: { node: node1 }
`
    expect((await problems(text))?.split('\n')).toEqual([
      'policies/test.yaml:3:11: on[0].node: no node named "nod2"; did you mean "node2"?',
      'policies/test.yaml:5:20: on[1].service[1]: pattern "db*x" matches no service',
    ])
  })

  it('says a check the inventory lacks makes the trigger unable to fire', async () => {
    const text = `on:
  - event: check.failed
    check: exports-gone
steps:
  - uses: fence.fence
    with: { node: node1 }
`
    expect(await problems(text)).toMatch(
      /^policies\/test\.yaml:3:12: on\[0\]\.check: no check named "exports-gone" in this inventory, so this trigger can never fire \(its checks: members, ipvs, guests, exports, agent, gfs, http, pg\)$/,
    )
  })

  it('checks foreach items by their type', async () => {
    const text = `on: node.down
steps:
  - uses: lvs.drain
    foreach: \${{ inventory.nodes[event.subject].guests }}
    with: { service: "\${{ item.service }}", node: "\${{ item }}" }
  - uses: lvs.drain
    foreach: \${{ event.subject }}
    with: { service: web, node: node1 }
`
    expect((await problems(text))?.split('\n')).toEqual([
      "policies/test.yaml:5:32: steps[0].with.service: Cannot index type 'string'",
      'policies/test.yaml:7:14: steps[1].foreach: foreach needs a list; this gives string',
    ])
  })

  it('refuses unknown channels, verify on actions that cannot verify, for: without an event', async () => {
    const text = `on: manual
for: 20s
steps:
  - uses: fence.status
    with: { node: node1 }
    verify: true
notify: { channels: [oncall-mial] }
`
    expect((await problems(text))?.split('\n')).toEqual([
      'policies/test.yaml:2:6: for: "for:" needs an event trigger (a condition that can stay true)',
      'policies/test.yaml:6:13: steps[0].verify: fence.status cannot verify; remove "verify: true"',
      'policies/test.yaml:7:22: notify.channels[0]: no channel named "oncall-mial"; did you mean "oncall-mail"?',
    ])
  })

  it('refuses unknown keys with a suggestion, and bad cron lines', async () => {
    expect(await problems(minimal('    verfy: false'))).toBe(
      'policies/test.yaml:5:5: steps[0].verfy: unknown key "verfy"; did you mean "verify"?',
    )
    const cron = 'on: { schedule: "61 * * * *" }\nsteps:\n  - uses: lvs.reconcile\n'
    expect(await problems(cron)).toMatch(
      /^policies\/test\.yaml:1:17: on\.schedule: not a cron expression/,
    )
  })

  it('refuses YAML traps: duplicate keys, alias bombs, YAML 1.1 booleans', async () => {
    expect(await problems(`${minimal()}on: node.up\n`)).toMatch(/:5:1: duplicate key/)
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'].map(
        (k, i) =>
          `${k}: &${k} [${Array(9)
            .fill(`*${i === 0 ? 'a' : String.fromCharCode(97 + i)}`)
            .join(',')}]`,
      ),
    ].join('\n')
    expect(await problems(bomb)).toMatch(/refused: .*anchors and aliases are limited/)
    expect(await problems(minimal('enabled: yes'))).toMatch(/:5:10: enabled: ambiguous value yes/)
  })

  it('throws a ConfigError with code POLICY_INVALID and every issue positioned', async () => {
    const error = await compile('on: node.down\nsteps: []\n').catch((e) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.code).toBe('POLICY_INVALID')
    expect(error.issues[0]).toMatchObject({
      file: 'policies/test.yaml',
      line: 2,
      col: 8,
      field: 'steps',
    })
  })
})
