// The lab's ssh fails the way OpenSSH fails (same words, "\r\n", exit 255) and otherwise runs the
// command line through a shell "on" the node.
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LAB_SSH } from './plugin-context.ts'
import { writeWorld } from './world.mjs'

function labWorld() {
  const world = join(mkdtempSync(join(tmpdir(), 'tandem-ssh-')), 'world.json')
  process.env.TANDEM_LAB_WORLD = world
  writeWorld({
    version: 1,
    nodes: {
      node1: { up: true, power: 'on', address: '127.0.1.1' },
      down: { up: false, power: 'on', address: '127.0.0.1' },
      off: { up: false, power: 'off', address: '127.0.1.3' },
    },
  })
  return world
}

function ssh(bin: string, args: string[], world: string) {
  const r = spawnSync(bin, args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, TANDEM_LAB_WORLD: world },
  })
  return { stdout: r.stdout, stderr: r.stderr, status: r.status }
}

/** A loopback port nobody listens on, so the real ssh is refused. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise((r) => server.close(r))
  return port
}

describe('lab ssh', () => {
  it('is refused like OpenSSH when the node is down', async () => {
    const world = labWorld()
    const port = String(await closedPort())
    const args = ['-o', 'BatchMode=yes', '-p', port, '127.0.0.1', '--', 'true']
    expect(ssh(LAB_SSH, args, world)).toEqual(ssh('/usr/bin/ssh', args, world))
    expect(ssh(LAB_SSH, args, world).stderr).toBe(
      `ssh: connect to host 127.0.0.1 port ${port}: Connection refused\r\n`,
    )
  })

  it('cannot resolve a host the world does not have, like OpenSSH', () => {
    const world = labWorld()
    const args = ['-o', 'BatchMode=yes', 'nosuchhost.invalid', 'true']
    expect(ssh(LAB_SSH, args, world)).toEqual(ssh('/usr/bin/ssh', args, world))
  })

  it('has no route to a powered-off node', () => {
    const world = labWorld()
    expect(ssh(LAB_SSH, ['off', 'true'], world)).toEqual({
      stdout: '',
      stderr: 'ssh: connect to host off port 22: No route to host\r\n',
      status: 255,
    })
  })

  it("runs the command line through the node's shell and returns its status", () => {
    const world = labWorld()
    const r = ssh(
      LAB_SSH,
      ['-l', 'root', '127.0.1.1', '--', "echo $TANDEM_LAB_NODE 'a  b'; exit 3"],
      world,
    )
    expect(r).toEqual({ stdout: 'node1 a  b\n', stderr: '', status: 3 })
  })
})
