// The live stream: new events and step changes written by anyone reach a connected client; Last-Event-ID resumes.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { events, healthStates, steps } from '../../core/store/index.ts'
import { type Harness, health, seedIncident, startHarness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ streamPollMs: 50 })
})
afterAll(async () => h?.close())

interface Message {
  event: string
  id?: string
  data: string
}

/** Reads SSE messages from a real connection until `enough` says so (or 10 s pass). */
async function collect(
  headers: Record<string, string>,
  enough: (messages: Message[]) => boolean,
  whileOpen?: () => Promise<void>,
): Promise<Message[]> {
  const controller = new AbortController()
  const res = await fetch(`${h.url}/api/v1/stream`, { headers, signal: controller.signal })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('text/event-stream')
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  const messages: Message[] = []
  let buffer = ''
  let started = false
  const deadline = Date.now() + 10_000
  try {
    while (Date.now() < deadline && !enough(messages)) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += value
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const m: Message = { event: 'message', data: '' }
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) m.event = line.slice(7)
          if (line.startsWith('id: ')) m.id = line.slice(4)
          if (line.startsWith('data: ')) m.data += line.slice(6)
        }
        if (!block.startsWith(':')) messages.push(m)
      }
      if (!started && messages.some((m) => m.event === 'hello')) {
        started = true
        await whileOpen?.()
      }
    }
  } finally {
    controller.abort()
  }
  return messages
}

const auth = () => ({ authorization: `Bearer ${h.tokens.read}` })

describe('GET /api/v1/stream', () => {
  it('delivers a node failure and a step change written to the store after connecting', async () => {
    const seeded = await seedIncident(h.store, Date.now(), 'stream1')
    const messages = await collect(
      auth(),
      (m) =>
        m.some((x) => x.event === 'event') &&
        m.some((x) => x.event === 'step' && JSON.parse(x.data).status === 'running') &&
        m.some((x) => x.event === 'health'),
      async () => {
        await h.store.db.insert(events).values({
          type: 'node.down',
          subject: 'node3',
          at: Date.now(),
          labels: { severity: 'critical', node: 'node3' },
          payload: {},
        })
        await h.store.db
          .insert(healthStates)
          .values(health('node/node3', 'node', 'down', Date.now()))
          .onConflictDoUpdate({
            target: healthStates.target,
            set: { state: 'down', updatedAt: Date.now() },
          })
        await h.store.db.update(steps).set({ status: 'running' }).where(eq(steps.id, seeded.stepId))
      },
    )
    const node = messages.find((m) => m.event === 'event')
    expect(JSON.parse(node!.data)).toMatchObject({ type: 'node.down', subject: 'node3' })
    const step = messages.findLast(
      (m) => m.event === 'step' && JSON.parse(m.data).id === seeded.stepId,
    )
    expect(JSON.parse(step!.data)).toMatchObject({ status: 'running', uses: 'rgmanager.relocate' })
    expect(
      messages.find((m) => m.event === 'health' && JSON.parse(m.data).target === 'node/node3'),
    ).toBeDefined()
  })

  it('resumes after a disconnect from Last-Event-ID without losing what happened meanwhile', async () => {
    const first = await collect(auth(), (m) => m.some((x) => x.event === 'hello'))
    const cursor = first.find((m) => m.event === 'hello')!.id!
    await h.store.db.insert(events).values([
      {
        type: 'vm.down',
        subject: 'guest1',
        at: Date.now(),
        labels: { severity: 'critical' },
        payload: {},
      },
      {
        type: 'vm.up',
        subject: 'guest1',
        at: Date.now(),
        labels: { severity: 'info' },
        payload: {},
      },
    ])
    const resumed = await collect(
      { ...auth(), 'last-event-id': cursor },
      (m) => m.filter((x) => x.event === 'event').length >= 2,
    )
    expect(resumed.filter((m) => m.event === 'event').map((m) => JSON.parse(m.data).type)).toEqual([
      'vm.down',
      'vm.up',
    ])
  })

  it('is refused without a token', async () => {
    const res = await fetch(`${h.url}/api/v1/stream`)
    expect(res.status).toBe(401)
  })
})
