// @ts-check
// The monitor process of `npm run bench:probe`: loads a config file, opens the store and monitors,
// as `tandem run` does, in a process of its own so its RSS and CPU are the monitor's alone. Code
// is loaded as bin/tandem.js loads it (dist/ when current, else tsx); node's flags are its own.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { loadedFrom, loadModule } from '../../bin/source.js'

const mb = (/** @type {number} */ bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10
/** What the process holds after each step of its start: the memory breakdown. */
/** @type {Record<string, number | string | undefined>} */
const stages = { node: mb(process.memoryUsage().rss) }
/** @type {typeof import('../../core/health/index.ts')} */
const { startMonitoring } = await loadModule('core/health/index.ts')
/** @type {typeof import('../../core/inventory/index.ts')} */
const { createInventory, loadConfig } = await loadModule('core/inventory/index.ts')
/** @type {typeof import('../../core/store/index.ts')} */
const { openStore } = await loadModule('core/store/index.ts')

const quiet = { debug() {}, info() {}, warn() {}, error() {} }
stages.code = mb(process.memoryUsage().rss)
stages.loadedFrom = loadedFrom()

const [configFile = '', storeUrl = ''] = process.argv.slice(2)
const inventory = createInventory(await loadConfig(configFile))
stages.config = mb(process.memoryUsage().rss)
const store = await openStore(storeUrl)
stages.store = mb(process.memoryUsage().rss)
const monitoring = await startMonitoring({
  inventory,
  store,
  log: quiet,
  onEvents(events) {
    const arrived = Date.now()
    send({
      cmd: 'events',
      events: events.map((e) => ({ type: e.type, subject: e.subject, arrived })),
    })
  },
})
stages.monitoring = mb(process.memoryUsage().rss)
const delay = monitorEventLoopDelay({ resolution: 10 })
let cpu0 = process.cpuUsage()
/** @type {{ stop(): number } | undefined} */
let gaps

process.on('disconnect', () => process.exit(0))
process.on('message', async (/** @type {{ cmd: string, id: number }} */ message) => {
  const { cmd, id } = message
  if (cmd === 'snapshot') {
    const checks = monitoring.snapshot().checks
    send({ cmd, id, allUp: checks.every((c) => c.state === 'up') })
  } else if (cmd === 'window-start') {
    delay.reset()
    delay.enable()
    cpu0 = process.cpuUsage()
    send({ cmd, id, ...monitoring.stats(), writes: await writes() })
  } else if (cmd === 'window-end') {
    const cpu = process.cpuUsage(cpu0)
    delay.disable()
    const memory = process.memoryUsage()
    send({
      cmd,
      id,
      ...monitoring.stats(),
      writes: await writes(),
      cpu,
      delayP99Ms: delay.percentile(99) / 1e6,
      stages,
      heapUsedMb: mb(memory.heapUsed),
      heapTotalMb: mb(memory.heapTotal),
      externalMb: mb(memory.external),
    })
  } else if (cmd === 'gaps-start') {
    gaps = watchGaps()
    send({ cmd, id })
  } else if (cmd === 'gaps-end') {
    send({ cmd, id, ownBlockMaxMs: gaps?.stop() ?? 0 })
  } else if (cmd === 'stop') {
    await monitoring.stop()
    store.close()
    send({ cmd, id })
    process.exit(0)
  }
})
send({ cmd: 'ready', stages })

async function writes() {
  return Number((await store.client.execute('SELECT total_changes() AS n')).rows[0]?.n)
}

/** @param {Record<string, unknown>} message */
function send(message) {
  process.send?.(message)
}

/**
 * The event-loop delay on a shared, loaded machine is mostly time spent waiting for a CPU.
 * This tells the two apart: for each stall over 20 ms, the CPU this process used during it
 * (its own blocking); returns the largest, in ms.
 */
function watchGaps() {
  let last = performance.now()
  let lastCpu = process.cpuUsage()
  let worst = 0
  const timer = setInterval(() => {
    const now = performance.now()
    const cpu = process.cpuUsage()
    if (now - last > 20) {
      const used = (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000
      worst = Math.max(worst, used)
    }
    last = now
    lastCpu = cpu
  }, 5)
  return {
    stop() {
      clearInterval(timer)
      return Math.round(worst * 10) / 10
    },
  }
}
