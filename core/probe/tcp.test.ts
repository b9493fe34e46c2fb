import { once } from 'node:events'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { probeTcp } from './tcp.ts'

describe('tcp probe', () => {
  it('is ok when the port accepts and critical when it refuses', async () => {
    const server = createServer((socket) => socket.end()).listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as { port: number }
    const up = await probeTcp('127.0.0.1', port, 2000)
    expect(up).toMatchObject({ status: 'ok', detail: `connected to 127.0.0.1:${port}` })
    server.close()
    await once(server, 'close')
    const down = await probeTcp('127.0.0.1', port, 2000)
    expect(down).toMatchObject({ status: 'critical', detail: 'connect ECONNREFUSED' })
  })
})
