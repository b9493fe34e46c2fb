// `tandem demo` (what `npm start` runs): the daemon on the bundled demo inventory and lab.
import { mkdir } from 'node:fs/promises'
import { delimiter, resolve } from 'node:path'
import { startDaemon } from '../../runtime/index.ts'
import { type Command, parseOptions } from '../command.ts'

export const demoCommand: Command = {
  name: 'demo',
  summary: 'start tandem on the bundled demo inventory (tandem.yaml) and the lab simulators',
  usage: 'tandem demo [--listen HOST:PORT] [--store URL]',
  async run(args, io) {
    const { values } = parseOptions(args, {
      listen: { type: 'string' },
      store: { type: 'string', default: 'file:./data/demo.db' },
    })
    await mkdir('data', { recursive: true })
    // The lab's simulated cluster tools come first on PATH and share one world file.
    process.env.PATH = `${resolve('test/lab/bin')}${delimiter}${process.env.PATH ?? ''}`
    process.env.TANDEM_LAB_WORLD ??= resolve('data/lab-world.json')
    // Demo-only secrets, so the demo config can reference them like a real site would.
    process.env.TANDEM_DEMO_IPMI_PASSWORD ??= 'demo-ipmi-password'
    process.env.TANDEM_DEMO_WEBHOOK_SECRET ??= 'whsec_ZGVtby13ZWJob29rLXNlY3JldA=='
    const daemon = await startDaemon({
      configFile: 'tandem.yaml',
      storeUrl: values.store,
      listen: values.listen,
    })
    io.out(
      `tandem demo is running.\n  dashboard: ${daemon.url}\n  lab world: ${process.env.TANDEM_LAB_WORLD}\nPress Ctrl-C to stop.\n`,
    )
    await daemon.stopped
    return 0
  },
}
