// Issue 17 finding 4: unauthenticated bodies cost the daemon no memory (a real `tandem run` process, real sockets).
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'

let child: ChildProcess
let url: URL
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-rss-'))
  child = spawn(
    'node',
    ['bin/tandem.js', 'run', '--listen', '127.0.0.1:0', '--store', `file:${dir}/t.db`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  url = new URL(
    await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout?.on('data', (chunk) => {
        out += chunk
        const match = /running: (http:\/\/\S+)/.exec(out)
        if (match?.[1]) resolve(match[1])
      })
      child.once('exit', (code) => reject(new Error(`daemon exited ${code}`)))
    }),
  )
})
afterAll(() => {
  child?.kill('SIGKILL')
})

const BODY = Buffer.alloc(4 * 1024 * 1024, 'a')

it('keeps RSS flat under 40 concurrent 4 MiB unauthenticated posts', async () => {
  // Warm the paths once, then measure.
  await Promise.all(Array.from({ length: 4 }, () => post('/ingest/webhook/unknown')))
  const before = rssMb()
  const statuses = await Promise.all([
    ...Array.from({ length: 20 }, () => post('/ingest/webhook/unknown')),
    ...Array.from({ length: 10 }, () => post('/ingest/alertmanager')),
    ...Array.from({ length: 10 }, () => post('/approve/forged.link-token')),
  ])
  const after = rssMb()
  // 401 without credentials; 503 for links on a daemon without a link secret: all unread.
  expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401))
  expect(statuses.slice(30).every((s) => s === 403 || s === 503)).toBe(true)
  // 40 × 4 MiB is 160 MiB had the bodies been read; the answer comes before them.
  expect(after - before, `RSS ${before} → ${after} MB`).toBeLessThan(40)
  expect((await fetch(new URL('healthz', url))).status).toBe(200)
})

function rssMb(): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

/** One POST with a 4 MiB body; resolves with the status, however early the server answers. */
function post(path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(new URL(path.slice(1), url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': BODY.length },
    })
    req.on('response', (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
      req.destroy()
    })
    req.on('error', () => resolve(0))
    req.end(BODY)
  })
}
