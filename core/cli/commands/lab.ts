// `tandem lab …`: change the demo's simulated world (fail a node, partition, flap, break fencing).
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { TandemError } from '../../errors.ts'
import { loadConfig, parseDuration } from '../../inventory/index.ts'
import { type Command, parseOptions } from '../command.ts'

const USAGE = `tandem lab <change> [args] [--config FILE]

  show                     the world as the simulated tools see it
  reset                    everything up and in place again (as at demo start)
  fail NODE                the node crashes: no answers, guests gone, power still on
  recover NODE             the node boots again
  partition [NODE]         cut NODE off the network; without NODE, cut tandem itself off
  heal                     undo every partition
  flap NODE [--port P] [--times N] [--every 3s]
                           the real server on NODE:P fails and recovers N times
  fence-broken NODE        every fence device of NODE fails
  fence-lies NODE          every fence device of NODE claims "off" and does nothing
  fence-ok NODE            fencing of NODE works again
  fail-storage SERVER      the storage server crashes: its GNBD exports are gone
  withdraw NODE            GFS withdraws on NODE (read-only after an I/O or lock error)`

export const labCommand: Command = {
  name: 'lab',
  summary: 'change the demo lab world: fail, recover, partition, flap, fence-broken, withdraw …',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseOptions(
      args,
      {
        config: { type: 'string', default: 'tandem.yaml' },
        port: { type: 'string', default: '8080' },
        times: { type: 'string', default: '10' },
        every: { type: 'string', default: '3s' },
      },
      true,
    )
    process.env.TANDEM_LAB_WORLD ??= resolve('data/lab-world.json')
    const lab = await import('../../../test/lab/demo-world.ts')
    const [change, node] = positionals
    const needNode = () => {
      if (!node) throw new Error(`tandem lab ${change} needs a node name`)
      return node
    }
    switch (change) {
      case 'show':
        break
      case 'reset':
        lab.resetWorld(await loadConfig(values.config))
        break
      case 'fail':
        lab.failNode(needNode())
        break
      case 'recover':
        lab.recoverNode(needNode())
        break
      case 'partition':
        lab.partition(node)
        break
      case 'heal':
        lab.heal()
        break
      case 'flap': {
        const port = Number(values.port)
        const every = parseDuration(values.every)
        for (let i = 0; i < Number(values.times); i++) {
          lab.setServerHealth(needNode(), port, i % 2 === 1)
          io.out(`${node}:${port} ${i % 2 === 1 ? 'healthy' : 'failing'}\n`)
          await sleep(every)
        }
        lab.setServerHealth(needNode(), port, true)
        break
      }
      case 'fence-broken':
      case 'fence-lies':
      case 'fence-ok': {
        const behaviour =
          change === 'fence-broken' ? 'fail' : change === 'fence-lies' ? 'lie' : 'ok'
        const devices = lab.setFenceBehaviour(
          await loadConfig(values.config),
          needNode(),
          behaviour,
        )
        io.out(`fence devices ${devices.join(', ')}: ${behaviour}\n`)
        break
      }
      case 'fail-storage': {
        const config = await loadConfig(values.config)
        refuseBadInput(() => lab.failStorage(config, needNode()))
        break
      }
      case 'withdraw':
        io.out(
          `withdrawn on ${node}: ${refuseBadInput(() => lab.withdrawGfs(needNode())).join(', ')}\n`,
        )
        break
      default:
        io.err(`usage: ${USAGE}\n`)
        return 2
    }
    io.out(lab.describeWorld())
    return 0
  },
}

/** A lab edit the world cannot make (no such server, nothing mounted) is the user's input, said plainly. */
function refuseBadInput<T>(edit: () => T): T {
  try {
    return edit()
  } catch (error) {
    throw new TandemError('BAD_REQUEST', (error as Error).message, { cause: error })
  }
}
