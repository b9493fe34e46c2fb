// GET /api/v1/stream: Server-Sent Events of new events and of step, run, approval, health and fence changes.
import { streamSSE } from 'hono/streaming'
import { z } from 'zod'
import { changesSince, currentCursor, decodeCursor, encodeCursor } from '../live-changes.ts'
import { endpoint } from '../route.ts'

const HEARTBEAT_MS = 15_000

export const liveStream = endpoint({
  summary: 'Live stream (Server-Sent Events) of events and changes',
  description:
    'Message types: `event` (a new event), `step`, `run`, `approval`, `health`, `fence` (a changed row). Every message carries an `id`; reconnect with `Last-Event-ID` (or `?since=`) to resume without gaps. The stream polls the store, so it works behind several instances and on serverless platforms; it ends after a few minutes and the client reconnects.',
  tag: 'stream',
  query: z.object({ since: z.string().max(100).optional() }),
  produces: 'text/event-stream',
  handler: async ({ c, api, query }) => {
    let cursor =
      decodeCursor(c.req.header('last-event-id') ?? query.since) ??
      (await currentCursor(api.store, api.now()))
    const seen = new Map<string, number>()
    return streamSSE(c, async (stream) => {
      let open = true
      stream.onAbort(() => {
        open = false
      })
      const endAt = api.now() + api.config.streamMaxMs
      let quietSince = api.now()
      await stream.writeSSE({ event: 'hello', id: encodeCursor(cursor), retry: 2_000, data: '{}' })
      while (open && api.now() < endAt) {
        try {
          const batch = await changesSince(api.store, cursor, seen)
          cursor = batch.cursor
          // Only the last message of a batch carries the id: a client cut off mid-batch resumes
          // from the previous cursor and sees the whole batch again rather than losing part of it.
          for (const [i, m] of batch.messages.entries())
            await stream.writeSSE({
              event: m.event,
              data: JSON.stringify(m.data),
              ...(i === batch.messages.length - 1 ? { id: encodeCursor(cursor) } : {}),
            })
          if (batch.messages.length > 0) quietSince = api.now()
        } catch (error) {
          await stream.writeSSE({
            event: 'unavailable',
            data: JSON.stringify({ message: (error as Error).message }),
          })
        }
        if (api.now() - quietSince >= HEARTBEAT_MS) {
          await stream.write(': ping\n\n')
          quietSince = api.now()
        }
        await stream.sleep(api.config.streamPollMs)
      }
    })
  },
})
