// A real OpenSSH server on 127.0.0.1 for tests: generated host and user keys, a temp known_hosts.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

export interface Sshd {
  port: number
  user: string
  identity: string
  knownHosts: string
  dir: string
  stop(): Promise<void>
}

const SSHD = '/usr/sbin/sshd'

/**
 * Starts sshd -D on a free loopback port, or returns the reason it cannot (printed by the caller,
 * so a skipped ssh test always says why).
 */
export async function startSshd(): Promise<Sshd | { skip: string }> {
  if (!existsSync(SSHD)) return { skip: `${SSHD} is not installed (apt package openssh-server)` }
  const user = userInfo().username
  if (process.getuid?.() !== 0 && !existsSync('/run/sshd'))
    return { skip: 'sshd needs /run/sshd (privilege separation) and we are not root to create it' }
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  const dir = mkdtempSync(join(tmpdir(), 'tandem-sshd-'))
  const keygen = (name: string) =>
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)])
  keygen('host_key')
  keygen('user_key')
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')), {
    mode: 0o600,
  })
  const port = await freePort()
  const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ')
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`)
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      '',
    ].join('\n'),
  )
  const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let log = ''
  child.stderr?.on('data', (chunk) => {
    log += chunk
  })
  const up = await waitListening(port, child)
  if (!up) {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    return { skip: `sshd did not start: ${log.trim() || 'no output'}` }
  }
  return {
    port,
    user,
    identity: join(dir, 'user_key'),
    knownHosts: join(dir, 'known_hosts'),
    dir,
    async stop() {
      await stopChild(child)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function waitListening(port: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline && child.exitCode === null) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket()
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
      socket.connect(port, '127.0.0.1')
    })
    if (ok) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}
