// A notifier killed with SIGKILL in the middle of deliveries: after a restart every notice still
// reaches the receiver exactly once per id (it de-duplicates by webhook-id), none is lost.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { outbox } from '../../core/store/index.ts'
import { notifyHarness } from './harness.ts'
import { newWebhookSecret, startWebhookReceiver } from './webhook-receiver.ts'

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
})

async function startChild(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./deliver-child.ts', import.meta.url).pathname],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  children.push(child)
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve())
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)))
  })
  return child
}

it('delivers exactly once per id across a SIGKILL mid-delivery', async () => {
  const secret = newWebhookSecret()
  const rx = await startWebhookReceiver({ secret })
  const dir = await mkdtemp(join(tmpdir(), 'tandem-crash-'))
  const yaml = `
channels:
  - name: ops
    type: webhook
    timeout: 2s
    with: { url: "${rx.url}", secrets: [env:HOOK], allow: [127.0.0.1/32] }
routes:
  receiver: ops
  group_by: ['...']
  group_wait: 0s
`
  const env = {
    TANDEM_TEST_YAML: yaml,
    TANDEM_TEST_SECRET: secret,
    TANDEM_TEST_STORE: `file:${join(dir, 'tandem.db')}`,
  }
  const parent = await notifyHarness({
    yaml,
    env: { HOOK: secret },
    storeUrl: env.TANDEM_TEST_STORE,
  })
  try {
    const now = Date.now()
    await parent.notifier.onEvents(
      Array.from({ length: 40 }, (_, i) => ({
        type: 'node.down' as const,
        subject: `node${i}`,
        at: now,
        labels: { severity: 'critical', node: `node${i}` },
        payload: {},
      })),
    )
    // The 10th delivery is processed by the receiver, but its answer never comes: the sender dies waiting.
    let hung: () => void = () => {}
    const hanging = new Promise<void>((resolve) => {
      hung = resolve
    })
    rx.respond = () => {
      if (rx.received.length !== 9) return undefined
      hung()
      return 'hang'
    }
    const first = await startChild(env)
    await hanging
    expect(first.exitCode).toBeNull()
    first.kill('SIGKILL')
    await once(first, 'exit')
    const atCrash = await parent.store.db.select().from(outbox)
    expect(atCrash.some((r) => r.status === 'delivering')).toBe(true)

    rx.respond = undefined
    await startChild(env)
    const deadline = Date.now() + 20_000
    let rows = atCrash
    while (Date.now() < deadline) {
      rows = await parent.store.db.select().from(outbox)
      if (rows.length === 40 && rows.every((r) => r.status === 'delivered')) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(rows.map((r) => r.status)).toEqual(Array(40).fill('delivered'))
    expect(rx.received.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort())
    expect(rx.duplicates.length).toBeGreaterThanOrEqual(1)
    expect(rx.rejected).toEqual([])
  } finally {
    await parent.close()
    await rx.close()
  }
}, 60_000)
