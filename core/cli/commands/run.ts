// `tandem run`: the long-running daemon on a config and a store.
import { DEFAULT_CONFIG_FILE, parseDuration } from '../../inventory/index.ts'
import { startDaemon } from '../../runtime/index.ts'
import { type Command, parseOptions } from '../command.ts'

export const runCommand: Command = {
  name: 'run',
  summary: 'run the daemon: probes, policies, actions, notices, API and dashboard',
  usage:
    'tandem run [--config FILE] [--policies DIR] [--store URL] [--listen HOST:PORT] [--lease 10s] [--dry-run]',
  async run(args, io) {
    const { values } = parseOptions(args, {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      policies: { type: 'string', default: 'policies' },
      store: { type: 'string' },
      listen: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      lease: { type: 'string', default: '10s' },
    })
    const daemon = await startDaemon({
      configFile: values.config,
      policiesDir: values.policies,
      storeUrl: values.store,
      listen: values.listen,
      dryRun: values['dry-run'],
      leaseMs: parseDuration(values.lease),
    })
    io.out(`tandem is running: ${daemon.url}\n`)
    await daemon.stopped
    return 0
  },
}
