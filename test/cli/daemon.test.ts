// `tandem run` as a real process: it loads the config, opens the store and serves /healthz.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { main } from '../../core/cli/index.ts'

let child: ChildProcess | undefined
afterEach(() => {
  child?.kill('SIGKILL')
})

it('serves /healthz from a daemon started with tandem run, and stops on SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-run-'))
  child = spawn(
    'node',
    ['bin/tandem.js', 'run', '--listen', '127.0.0.1:0', '--store', `file:${dir}/t.db`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child!.stdout!.on('data', (chunk) => {
      out += chunk
      const match = /running: (http:\/\/\S+)/.exec(out)
      if (match) resolve(match[1]!)
    })
    child!.once('exit', (code) => reject(new Error(`daemon exited ${code}`)))
  })
  const health = await (await fetch(`${url}healthz`)).json()
  expect(health).toEqual({ status: 'ok' })
  expect((await fetch(`${url}readyz`)).status).toBe(200)
  const exited = new Promise((resolve) => child!.once('exit', resolve))
  child.kill('SIGTERM')
  expect(await exited).toBe(0)
})

it('lists its commands in --help and rejects an unknown one with exit 2', async () => {
  let out = ''
  let err = ''
  const io = { out: (t: string) => (out += t), err: (t: string) => (err += t) }
  expect(await main(['--help'], io)).toBe(0)
  expect(out).toMatch(/check\s+validate the config/)
  expect(await main(['chek'], io)).toBe(2)
  expect(err).toContain('unknown command "chek"')
})

// Issue 16: on a port already in use, `tandem run` used to log EADDRINUSE and keep probing.
it('exits non-zero with a clear message when it cannot listen, and closes its store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-run-'))
  const occupier = createServer()
  await new Promise<void>((resolve) => occupier.listen(0, '127.0.0.1', resolve))
  const { port } = occupier.address() as AddressInfo
  try {
    child = spawn(
      'node',
      ['bin/tandem.js', 'run', '--listen', `127.0.0.1:${port}`, '--store', `file:${dir}/t.db`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let err = ''
    child.stderr!.on('data', (chunk) => {
      err += chunk
    })
    const code = await new Promise((resolve) => child!.once('exit', resolve))
    expect(code).toBe(1)
    expect(err).toContain(`tandem run: [runtime] cannot listen on 127.0.0.1:${port}`)
    expect(err).toContain('already in use')
    // A store closed cleanly leaves no write-ahead log behind (a killed process would).
    expect(existsSync(`${dir}/t.db`)).toBe(true)
    expect(existsSync(`${dir}/t.db-wal`)).toBe(false)
  } finally {
    occupier.close()
  }
})
