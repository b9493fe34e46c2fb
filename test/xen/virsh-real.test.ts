// The lab virsh against the real one: the same hosts and guests, described once as the lab world
// and once as a libvirt test-driver node file, must print the same bytes.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LAB_BIN } from '../lab/plugin-context.ts'
import { writeWorld } from '../lab/world.mjs'
import { uuidOf } from '../lab/xen.mjs'

const VIRSH = '/usr/bin/virsh'
const GUESTS = [
  { name: 'guest1', memory: 2048, vcpus: 1, state: 'running', runstate: 1 },
  { name: 'db-primary-long-name', memory: 1024, vcpus: 2, state: 'paused', runstate: 3 },
  { name: 'guest3', memory: 512, vcpus: 1, state: 'shutoff', runstate: 5 },
]

function fixtures() {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-virsh-'))
  const node = join(dir, 'node.xml')
  const domains = GUESTS.map(
    (g) => `  <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
    <name>${g.name}</name>
    <uuid>${uuidOf(g.name)}</uuid>
    <memory>${g.memory * 1024}</memory>
    <vcpu>${g.vcpus}</vcpu>
    <os><type>xen</type></os>
    <test:runstate>${g.runstate}</test:runstate>
  </domain>`,
  )
  writeFileSync(
    node,
    `<?xml version="1.0"?>\n<node>\n  <cpu><mhz>2400</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>\n  <memory>${8192 * 1024}</memory>\n${domains.join('\n')}\n</node>\n`,
  )
  const world = join(dir, 'world.json')
  process.env.TANDEM_LAB_WORLD = world
  let id = 1
  writeWorld({
    version: 1,
    nodes: { node1: { up: true, power: 'on' } },
    xen: {
      // dom0 0: the test driver has no Domain-0 to list.
      hosts: { node1: { memory: 8192, dom0: 0, cpus: 4, mhz: 2400 } },
      domains: Object.fromEntries(
        GUESTS.map((g) => [
          g.name,
          {
            host: 'node1',
            state: g.state,
            memory: g.memory,
            vcpus: g.vcpus,
            ...(g.state === 'shutoff' ? {} : { id: id++ }),
            startedAt: Date.now(),
          },
        ]),
      ),
    },
  } as never)
  return { node, world }
}

/** stdout, stderr and status of one virsh call; the CPU time line differs by nature. */
function call(argv: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(argv[0] as string, argv.slice(1), { env, encoding: 'utf8' })
  const cpu = /^CPU time:.*\n/m
  return { stdout: r.stdout.replace(cpu, ''), stderr: r.stderr, status: r.status }
}

describe.runIf(existsSync(VIRSH))('lab virsh prints what virsh 9.0.0 prints', () => {
  const commands = [
    ['list'],
    ['list', '--all'],
    ['list', '--all', '--name'],
    ['domstate', 'guest1'],
    ['domstate', 'db-primary-long-name'],
    ['domstate', 'guest3'],
    ['domstate', 'nosuch'],
    ['dominfo', 'guest1'],
    ['dominfo', 'guest3'],
    ['dominfo', 'nosuch'],
    ['nodeinfo'],
    ['start', 'guest1'],
    ['nosuchcommand'],
  ]

  it.each(commands.map((c) => [c.join(' '), c]))('virsh %s', (_name, command) => {
    const { node, world } = fixtures()
    const real = call([VIRSH, '-c', `test://${node}`, ...command], {
      PATH: '/usr/bin:/bin',
      LANG: 'C',
    })
    const lab = call([join(LAB_BIN, 'virsh'), ...command], {
      PATH: `${LAB_BIN}:/usr/bin:/bin`,
      TANDEM_LAB_WORLD: world,
      TANDEM_LAB_NODE: 'node1',
    })
    expect(lab).toEqual(real)
  })

  it('really is the Debian virsh 9.0.0 the reference was captured from', () => {
    expect(execFileSync(VIRSH, ['--version'], { encoding: 'utf8' }).trim()).toBe('9.0.0')
  })
})
