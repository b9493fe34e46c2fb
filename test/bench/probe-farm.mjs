// @ts-check
// A loopback target farm for `npm run bench:probe` and `bench:scale`: one HTTP listener per target,
// each told to answer 200, answer 500, hang, or refuse (stop listening). Runs as a child process;
// IPC control. While recording it keeps when each target was probed (the honest observer).
import { createServer } from 'node:http'

/** @typedef {'ok' | 'fail' | 'hang' | 'refuse'} Mode */
/** @typedef {{ address: string, port: number, mode: Mode, server: import('node:http').Server, sockets: Set<import('node:net').Socket>, hits: number[] }} Target */

/** @type {Target[]} */
const targets = []
const requests = { tandem: 0, monit: 0, other: 0 }
let recording = false

// The benchmark is gone (finished or killed): so is the farm.
process.on('disconnect', () => process.exit(0))

process.on('message', async (/** @type {any} */ message) => {
  if (message.cmd === 'start') {
    for (const [address, port] of message.targets) targets.push(await open(address, port))
    process.send?.({ cmd: 'started', count: targets.length })
  } else if (message.cmd === 'set') {
    await Promise.all(
      message.indexes.map((/** @type {number} */ i) => setMode(targets[i], message.mode)),
    )
    process.send?.({ cmd: 'set', id: message.id })
  } else if (message.cmd === 'stats') {
    process.send?.({ cmd: 'stats', id: message.id, requests: { ...requests } })
  } else if (message.cmd === 'record') {
    recording = message.on
    for (const target of targets) target.hits = []
    process.send?.({ cmd: 'record', id: message.id })
  } else if (message.cmd === 'hits') {
    process.send?.({ cmd: 'hits', id: message.id, hits: targets.map((t) => t.hits) })
  } else if (message.cmd === 'since') {
    // Per target, the first probe at or after `at`: how many have none yet, and the latest first.
    let uncovered = 0
    let latest = 0
    for (const { hits } of targets) {
      const first = hits.find((t) => t >= message.at)
      if (first === undefined) uncovered++
      else latest = Math.max(latest, first)
    }
    process.send?.({ cmd: 'since', id: message.id, uncovered, latest })
  }
})

/** @param {string} address @param {number} port @returns {Promise<Target>} */
async function open(address, port) {
  /** @type {Target} */
  const target = {
    address,
    port,
    mode: 'ok',
    server: /** @type {any} */ (undefined),
    sockets: new Set(),
    hits: [],
  }
  target.server = createServer((req, res) => {
    const agent = (req.headers['user-agent'] ?? '').toLowerCase()
    if (agent.startsWith('tandem')) {
      requests.tandem++
      if (recording) target.hits.push(Date.now())
    } else if (agent.startsWith('monit')) requests.monit++
    else requests.other++
    if (target.mode === 'hang') return
    res.statusCode = target.mode === 'fail' ? 500 : 200
    res.setHeader('content-type', 'text/plain')
    res.end(target.mode === 'fail' ? 'broken\n' : 'ok\n')
  })
  target.server.keepAliveTimeout = 120_000
  target.server.headersTimeout = 130_000
  target.server.requestTimeout = 0
  target.server.on('connection', (socket) => {
    target.sockets.add(socket)
    socket.on('close', () => target.sockets.delete(socket))
  })
  await listen(target)
  return target
}

/** @param {Target} target */
function listen(target) {
  return new Promise((resolve, reject) => {
    target.server.once('error', reject)
    target.server.listen(target.port, target.address, 4096, () => {
      target.server.off('error', reject)
      resolve(undefined)
    })
  })
}

/** @param {Target | undefined} target @param {Mode} mode */
async function setMode(target, mode) {
  if (!target || target.mode === mode) return
  const wasRefusing = target.mode === 'refuse'
  target.mode = mode
  if (mode === 'refuse') {
    target.server.close()
    for (const socket of target.sockets) socket.destroy()
  } else if (wasRefusing) await listen(target)
}
