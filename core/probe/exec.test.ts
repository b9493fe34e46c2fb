import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createExecProbe } from './exec.ts'
import { checkTarget, isAlive } from './test-support.ts'

const PLUGINS = '/usr/lib/nagios/plugins'
let server: Server
let port = 0
beforeAll(async () => {
  server = createServer((_req, res) => res.end('tandem ok')).listen(0, '127.0.0.1')
  await once(server, 'listening')
  port = (server.address() as { port: number }).port
})
afterAll(() => server.close())

const exec = (command: string[], over = {}) =>
  createExecProbe(checkTarget({ kind: 'exec', command }, { port, ...over }))

describe('exec probe (Nagios plugin API)', () => {
  it('runs the real check_tcp with {address} and {port} and parses its perfdata', async () => {
    const r = await exec([`${PLUGINS}/check_tcp`, '-H', '{address}', '-p', '{port}'])(5000)
    expect(r.status).toBe('ok')
    expect(r.detail).toMatch(/^TCP OK - [\d.]+ second response time on 127\.0\.0\.1 port \d+$/)
    const [time] = r.data!.perfdata as { label: string; value: number; unit: string }[]
    expect(time).toMatchObject({ label: 'time', unit: 's', min: 0 })
    expect(time!.value).toBeGreaterThanOrEqual(0)
  })

  it('maps the real check_http CRITICAL and a refused port to critical', async () => {
    const missing = await exec([
      `${PLUGINS}/check_http`,
      '-H',
      '{address}',
      '-p',
      '{port}',
      '-s',
      'no such text',
    ])(5000)
    expect(missing.status).toBe('critical')
    expect(missing.detail).toMatch(/^HTTP CRITICAL: .*string 'no such text' not found/)
    const refused = await exec([`${PLUGINS}/check_tcp`, '-H', '{address}', '-p', '1'])(5000)
    expect(refused).toMatchObject({ status: 'critical' })
    expect(refused.detail).toMatch(/Connection refused/)
  })

  it('maps exit codes 1, 3 and anything else to warning, unknown, unknown', async () => {
    const codes = await Promise.all(
      [1, 3, 7].map((code) =>
        exec([
          '/bin/sh',
          '-c',
          `echo "DISK WARNING - 81% used|used=81%;80;90;0;100"; exit ${code}`,
        ])(5000),
      ),
    )
    expect(codes.map((r) => r.status)).toEqual(['warning', 'unknown', 'unknown'])
    expect(codes[0]).toMatchObject({
      detail: 'DISK WARNING - 81% used',
      data: {
        exitCode: 1,
        perfdata: [
          { label: 'used', value: 81, unit: '%', warn: '80', crit: '90', min: 0, max: 100 },
        ],
      },
    })
  })

  it('kills the whole process group at the timeout, children and SIGTERM-ignorers too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-exec-'))
    const pids = join(dir, 'pids')
    const script = `trap "" TERM; sleep 30 & echo $! >> ${pids}; sleep 30 & echo $! >> ${pids}; echo $$ >> ${pids}; wait`
    const started = performance.now()
    const r = await exec(['/bin/sh', '-c', script])(400)
    expect(r.status).toBe('timeout')
    expect(r.detail).toMatch(/^timeout after 400 ms \(process group killed[;)]/)
    expect(performance.now() - started).toBeLessThan(3000)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const alive = readFileSync(pids, 'utf8').trim().split('\n').map(Number).filter(isAlive)
    expect(alive).toEqual([])
  })

  it('kills children left behind by a plugin that already exited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-exec-'))
    const pids = join(dir, 'pids')
    const r = await exec([
      '/bin/sh',
      '-c',
      `sleep 30 >/dev/null 2>&1 & echo $! > ${pids}; echo OK`,
    ])(5000)
    expect(r).toMatchObject({ status: 'ok', detail: 'OK' })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(isAlive(Number(readFileSync(pids, 'utf8')))).toBe(false)
  })

  it('caps a flood of output and stays a plugin result', async () => {
    const r = await exec(['/bin/sh', '-c', 'yes "CRITICAL flood" | head -c 5000000; exit 2'])(5000)
    expect(r.status).toBe('critical')
    expect(r.detail).toBe('CRITICAL flood')
    expect(r.data?.truncated).toBe(true)
  })

  it('passes inventory values as single argv elements and never runs probe output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-exec-'))
    const marker = join(dir, 'pwned')
    const address = `127.0.0.1; touch ${marker}`
    const r = await exec(['/bin/echo', 'addr={address}'], { address })(5000)
    expect(r.detail).toBe(`addr=127.0.0.1; touch ${marker}`)
    const echoed = await exec(['/bin/echo', `$(touch ${marker})`])(5000)
    expect(echoed.detail).toBe(`$(touch ${marker})`)
    expect(existsSync(marker)).toBe(false)
  })

  it('reports a missing program as unknown', async () => {
    const r = await exec(['/nonexistent/check_nothing'])(5000)
    expect(r).toMatchObject({
      status: 'unknown',
      detail: 'cannot run /nonexistent/check_nothing: ENOENT',
    })
  })
})
