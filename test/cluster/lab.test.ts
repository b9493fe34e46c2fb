// The lab's clustat and clusvcadm print what rgmanager 3.0.12's clustat.c / clusvcadm.c print, byte for byte.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { updateWorld } from '../lab/world.mjs'
import { LAB_BIN, labCluster } from './support.ts'

const T = 1764000000 // Mon Nov 24 16:00:00 2025 UTC
let env: Record<string, string> = {}

beforeEach(() => {
  const world = labCluster({
    db: { owner: 'node2', last_owner: 'node1', last_transition: T },
    web: { state: 'disabled', last_owner: 'node1', last_transition: T },
    'vm:guest1': { owner: 'node3', flags: ['frozen'], last_transition: T },
  })
  env = { PATH: process.env.PATH ?? '', TZ: 'UTC', TANDEM_LAB_WORLD: world }
})

function tool(name: string, args: string[], extra: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(join(LAB_BIN, name), args, { env: { ...env, ...extra } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr })
    })
  })
}

function down(...names: string[]) {
  updateWorld((world) => {
    for (const name of names) world.nodes[name] = { up: false, power: 'off' }
  })
}

const NODE = (name: string, id: number, state: number, local: number, rg: number) =>
  `    <node name="${name}" state="${state}" local="${local}" estranged="0" rgmanager="${rg}" rgmanager_master="0" qdisk="0" nodeid="0x0000000${id}"/>\n`
const GROUP = (
  name: string,
  state: number,
  str: string,
  flags: number,
  fstr: string,
  owner: string,
  last: string,
) =>
  `    <group name="${name}" state="${state}" state_str="${str}" flags="${flags}" flags_str="${fstr}" owner="${owner}" last_owner="${last}" restarts="0" last_transition="${T}" last_transition_str="Mon Nov 24 16:00:00 2025"/>\n`

describe('lab clustat', () => {
  it('-x: xml_cluster_status() with nodes by id and groups by name', async () => {
    const { code, stdout } = await tool('clustat', ['-x'])
    expect(code).toBe(0)
    expect(stdout).toBe(
      '<?xml version="1.0"?>\n<clustat version="4.1.1">\n' +
        '  <cluster name="demo" id="4242" generation="8"/>\n' +
        '  <quorum quorate="1" groupmember="1"/>\n' +
        `  <nodes>\n${NODE('node1', 1, 1, 1, 1)}${NODE('node2', 2, 1, 0, 1)}${NODE('node3', 3, 1, 0, 1)}  </nodes>\n` +
        '  <groups>\n' +
        GROUP('service:db', 112, 'started', 0, '', 'node2', 'node1') +
        GROUP('service:web', 119, 'disabled', 0, '', 'none', 'node1') +
        GROUP('vm:guest1', 112, 'started', 1, 'frozen', 'node3', 'none') +
        '  </groups>\n</clustat>\n',
    )
  })

  it('text report: 80 columns, (last owner) for parked services, [Z] for frozen', async () => {
    const { stdout } = await tool('clustat', [])
    const lines = stdout.split('\n')
    expect(lines[0]).toMatch(/^Cluster Status for demo @ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/)
    expect(lines.slice(1).join('\n')).toBe(
      'Member Status: Quorate\n\n' +
        ' Member Name                             ID   Status\n' +
        ' ------ ----                             ---- ------\n' +
        ' node1                                       1 Online, Local, rgmanager\n' +
        ' node2                                       2 Online, rgmanager\n' +
        ' node3                                       3 Online, rgmanager\n\n' +
        ' Service Name                   Owner (Last)                   State         \n' +
        ' ------- ----                   ----- ------                   -----         \n' +
        ' service:db                     node2                          started       \n' +
        ' service:web                    (node1)                        disabled      \n' +
        ' vm:guest1                      node3                          started    [Z]\n',
    )
  })

  it('-s exits with the state code of a service that is not running; -Q with quorum', async () => {
    expect((await tool('clustat', ['-s', 'web'])).code).toBe(119)
    expect((await tool('clustat', ['-s', 'db'])).code).toBe(0)
    expect((await tool('clustat', ['-Q'])).code).toBe(0)
    down('node2', 'node3')
    expect((await tool('clustat', ['-Q'])).code).toBe(1)
  })

  it('inquorate: rgmanager refuses the service list, printed before the XML', async () => {
    down('node2', 'node3')
    const { code, stdout } = await tool('clustat', ['-x'])
    expect(code).toBe(0)
    expect(stdout).toBe(
      'Service states unavailable: Operation requires quorum\n' +
        '<?xml version="1.0"?>\n<clustat version="4.1.1">\n' +
        '  <cluster name="demo" id="4242" generation="12"/>\n' +
        '  <quorum quorate="0"\n groupmember="0"/>\n' +
        `  <nodes>\n${NODE('node1', 1, 1, 1, 0)}${NODE('node2', 2, 0, 0, 0)}${NODE('node3', 3, 0, 0, 0)}  </nodes>\n` +
        '</clustat>\n',
    )
  })

  it('a dead member leaves the membership and its service is stopped for recovery', async () => {
    down('node2')
    const { stdout } = await tool('clustat', ['-x'])
    expect(stdout).toContain(NODE('node2', 2, 0, 0, 0))
    expect(stdout).toMatch(
      /<group name="service:db" state="110" state_str="stopped" flags="0" flags_str="" owner="none" last_owner="node2" /,
    )
    expect(stdout).toContain('generation="12"')
  })

  it('a partitioned node drops out of the majority’s view and alone is inquorate', async () => {
    updateWorld((world) => {
      world.nodes.node3 = { up: true, power: 'on', partitioned: true }
    })
    const majority = await tool('clustat', ['-x'])
    expect(majority.stdout).toContain('<quorum quorate="1" groupmember="1"/>')
    expect(majority.stdout).toContain(NODE('node3', 3, 0, 0, 0))
    const alone = await tool('clustat', ['-x'], { TANDEM_LAB_NODE: 'node3' })
    expect(alone.stdout).toMatch(/^Service states unavailable: Operation requires quorum\n/)
    expect(alone.stdout).toContain(
      NODE('node1', 1, 0, 0, 0) + NODE('node2', 2, 0, 0, 0) + NODE('node3', 3, 1, 1, 0),
    )
  })

  it('on a node that is down, cman cannot be reached', async () => {
    down('node3')
    const result = await tool('clustat', ['-x'], { TANDEM_LAB_NODE: 'node3' })
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Could not connect to CMAN: Connection refused\n',
    })
  })
})

describe('lab clusvcadm', () => {
  const cases: [string, string[], number, string][] = [
    [
      'relocate to a member',
      ['-r', 'db', '-m', 'node3'],
      0,
      'Trying to relocate service:db to node3...Success\nservice:db is now running on node3\n',
    ],
    [
      'enable a running service (RG_ERUN exits 0)',
      ['-e', 'db'],
      0,
      'Local machine trying to enable service:db...Service is already running\n',
    ],
    [
      'enable on a member',
      ['-e', 'web', '-m', 'node2'],
      0,
      'Member node2 trying to enable service:web...Success\nservice:web is now running on node2\n',
    ],
    [
      'no such service (RG_ENOSERVICE)',
      ['-d', 'nosuch'],
      252,
      'Local machine disabling service:nosuch...Service does not exist\n',
    ],
    [
      'frozen (RG_EFROZEN)',
      ['-R', 'vm:guest1'],
      245,
      'Local machine trying to restart vm:guest1...Failure: Service is frozen\n',
    ],
    [
      'migrate a non-vm (RG_EINVAL)',
      ['-M', 'db', '-m', 'node1'],
      248,
      'Trying to migrate service:db to node1...Invalid operation for resource\n',
    ],
    [
      'relocate a disabled service (RG_EINVAL)',
      ['-r', 'web'],
      248,
      'Trying to relocate service:web...Invalid operation for resource\n',
    ],
    [
      'unknown member, ambiguous prefix',
      ['-r', 'db', '-m', 'node9'],
      1,
      "'node9' not in membership list\nMore than one possible match for 'node9' found\n",
    ],
    [
      'unknown member, no match',
      ['-r', 'db', '-m', 'web1'],
      1,
      "'web1' not in membership list\nNo matches for 'web1' found\n",
    ],
    [
      'migration without a member',
      ['-M', 'vm:guest1'],
      1,
      'Migration requires a target cluster member\n',
    ],
  ]
  for (const [what, args, code, stdout] of cases)
    it(what, async () => {
      expect(await tool('clusvcadm', args)).toEqual({ code, stdout, stderr: '' })
    })

  it('misspelt member: clusvcadm acts on the closest match (why the plugin checks first)', async () => {
    const result = await tool('clusvcadm', ['-r', 'db', '-m', 'node3x'])
    expect(result.stdout).toBe(
      "'node3x' not in membership list\nClosest match: 'node3'\nTrying to relocate service:db to node3...Success\nservice:db is now running on node3\n",
    )
  })

  it('inquorate: the daemon answers RG_EQUORUM (exit 247); offline migration target', async () => {
    down('node2')
    expect(await tool('clusvcadm', ['-M', 'vm:guest1', '-m', 'node2'])).toEqual({
      code: 1,
      stdout: "'node2' is offline\n",
      stderr: '',
    })
    down('node3')
    expect(await tool('clusvcadm', ['-r', 'db', '-m', 'node1'])).toEqual({
      code: 247,
      stdout: 'Trying to relocate service:db to node1...Operation requires quorum\n',
      stderr: '',
    })
  })

  it('getopt errors print glibc’s message and the usage', async () => {
    const result = await tool('clusvcadm', ['-x'])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`${join(LAB_BIN, 'clusvcadm')}: invalid option -- 'x'\n`)
    expect(result.stdout).toMatch(
      /^usage: clusvcadm \[command\]\n\nResource Group Control Commands:\n/,
    )
  })
})

// Issue 16 (lab fidelity): rgmanager waits for fenced before a dead member's services start
// elsewhere, and fence_gnbd honours `tandem lab fence-broken`.
describe('lab rgmanager waits for the fence of a member that left', () => {
  it('refuses to start db elsewhere while node2 is dead and unfenced, starts it once fenced', async () => {
    updateWorld((world) => {
      world.nodes.node2 = { up: false, power: 'on' }
    })
    const pending = await tool('clusvcadm', ['-r', 'db', '-m', 'node3'])
    expect(pending.stdout).toBe(
      'Trying to relocate service:db to node3...Fencing operation pending; try again later\n',
    )
    expect(pending.code).toBe(-13 & 0xff)
    expect((await tool('clusvcadm', ['-e', 'db', '-m', 'node3'])).code).toBe(-13 & 0xff)
    // fence_gnbd cut node2 off its storage: fenced.
    updateWorld((world) => {
      world.fence = { gnbd: { storage1: ['node2'] } }
    })
    const moved = await tool('clusvcadm', ['-r', 'db', '-m', 'node3'])
    expect(moved).toMatchObject({ code: 0 })
    expect(moved.stdout).toMatch(/service:db is now running on node3/)
  })
})

describe('lab fence_gnbd', () => {
  const gnbd = () =>
    new Promise<{ code: number; stdout: string }>((resolve) => {
      const child = execFile(join(LAB_BIN, 'fence_gnbd'), [], { env }, (error, stdout) =>
        resolve({ code: error ? Number(error.code) : 0, stdout }),
      )
      child.stdin?.end('nodename=node2\nservers=storage1\n')
    })

  it('fails for a victim whose fencing is broken, and cuts nothing', async () => {
    updateWorld((world) => {
      world.nodes.storage1 = { up: true, power: 'on' }
      world.fence = { devices: { 'gnbd:node2': { behaviour: 'fail' } } }
    })
    expect(await gnbd()).toEqual({ code: 1, stdout: 'failed: fence_gnbd, node2\n' })
    updateWorld((world) => {
      expect((world.fence as { gnbd?: unknown }).gnbd).toBeUndefined()
      world.fence = { devices: { 'gnbd:node2': { behaviour: 'ok' } } }
    })
    expect(await gnbd()).toEqual({ code: 0, stdout: 'success: fence_gnbd, node2\n' })
  })
})
