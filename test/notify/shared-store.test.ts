// Two tandem instances sharing one store deliver from the same outbox: claims are atomic, so no
// notice is sent twice even though both work the queue at the same time.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { outbox } from '../../core/store/index.ts'
import { notifyHarness } from './harness.ts'
import { newWebhookSecret, startWebhookReceiver } from './webhook-receiver.ts'

it('never sends a notice twice when two instances deliver at once', async () => {
  const secret = newWebhookSecret()
  const rx = await startWebhookReceiver({ secret })
  const storeUrl = `file:${join(await mkdtemp(join(tmpdir(), 'tandem-shared-')), 'tandem.db')}`
  const yaml = `
channels:
  - name: ops
    type: webhook
    with: { url: "${rx.url}", secrets: [env:HOOK], allow: [127.0.0.1/32] }
routes: { receiver: ops, group_by: ['...'], group_wait: 0s }
`
  const a = await notifyHarness({ yaml, env: { HOOK: secret }, storeUrl })
  const b = await notifyHarness({ yaml, env: { HOOK: secret }, storeUrl })
  try {
    const at = Date.now()
    await a.notifier.onEvents(
      Array.from({ length: 150 }, (_, i) => ({
        type: 'check.failed' as const,
        subject: `web/node${i % 50}/check${i}`,
        at,
        labels: { severity: 'warning', node: `node${i % 50}`, check: `check${i}` },
        payload: {},
      })),
    )
    const [ra, rb] = await Promise.all([a.notifier.deliverDue(), b.notifier.deliverDue()])
    expect(ra.delivered + rb.delivered).toBe(150)
    expect(rx.received).toHaveLength(150)
    expect(rx.duplicates).toEqual([])
    const rows = await a.store.db.select().from(outbox)
    expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true)
  } finally {
    await a.close()
    await b.close()
    await rx.close()
  }
})
