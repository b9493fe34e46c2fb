// `tandem demo` (what `npm start` runs): the daemon on the bundled demo inventory and the lab.
import { mkdir } from 'node:fs/promises'
import { delimiter, resolve } from 'node:path'
import { type Config, loadConfig } from '../../inventory/index.ts'
import { startDaemon } from '../../runtime/index.ts'
import { type Command, parseOptions } from '../command.ts'
import { demoToken } from '../demo-token.ts'

const WEBHOOK_SECRET = 'whsec_ZGVtby13ZWJob29rLXNlY3JldA=='

export const demoCommand: Command = {
  name: 'demo',
  summary: 'start tandem on the bundled demo inventory (tandem.yaml) and the lab simulators',
  usage: 'tandem demo [--listen HOST:PORT] [--store URL] [--keep-world]',
  async run(args, io) {
    const { values } = parseOptions(args, {
      listen: { type: 'string' },
      // Default: tandem.yaml's daemon.store, the same rule as every other command, so `tandem
      // journal` next to a running demo reads what it writes.
      store: { type: 'string' },
      'keep-world': { type: 'boolean', default: false },
    })
    await mkdir('data', { recursive: true })
    // The lab's simulated cluster tools come first on PATH and share one world file.
    process.env.PATH = `${resolve('test/lab/bin')}${delimiter}${process.env.PATH ?? ''}`
    process.env.TANDEM_LAB_WORLD ??= resolve('data/lab-world.json')
    // Demo-only secrets, referenced by tandem.yaml the way a real site references its own.
    process.env.TANDEM_DEMO_IPMI_PASSWORD ??= 'demo-ipmi-password'
    process.env.TANDEM_DEMO_WEBHOOK_SECRET ??= WEBHOOK_SECRET
    const config = await loadConfig('tandem.yaml')
    const lab = await import('../../../test/lab/demo-world.ts')
    const { startNodeServers } = await import('../../../test/lab/node-servers.ts')
    const { startInbox } = await import('../../../test/lab/inbox.ts')
    if (!values['keep-world']) lab.resetWorld(config)
    const servers = await startNodeServers(config)
    const inbox = await startInbox({
      file: resolve('data/lab-inbox.jsonl'),
      ...receiversOf(config),
      webhookSecret: process.env.TANDEM_DEMO_WEBHOOK_SECRET,
    })
    const daemon = await startDaemon({
      configFile: 'tandem.yaml',
      storeUrl: values.store,
      listen: values.listen,
    })
    // The director's IPVS table starts empty, as after a boot: tandem makes it match the inventory.
    if (!values['keep-world']) {
      await daemon.instance.ready(30_000) // quorum known: destructive steps are allowed
      await daemon.instance.lead() // only the leader acts
      await daemon.instance.executor.runManual('lvs.reconcile', {}, { actor: 'demo' })
    }
    // One admin token per demo data directory, reused on every start (`tandem token list`
    // shows it as "demo"), so the dashboard opens without any set-up and nothing piles up.
    const token = await demoToken(daemon.instance.store, resolve('data/demo-token'))
    io.out(
      [
        'tandem demo is running.',
        `  dashboard:  ${daemon.url}  (token: ${token})`,
        `  lab world:  ${process.env.TANDEM_LAB_WORLD}`,
        `  mail/hooks: ${resolve('data/lab-inbox.jsonl')} (SMTP 127.0.0.1:${inbox.smtpPort}, webhook ${inbox.webhookUrl})`,
        'Try: npx tandem lab fail node2    (then watch the dashboard; `npx tandem lab reset` to undo)',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    )
    await daemon.stopped
    await Promise.all([servers.close(), inbox.close()])
    return 0
  },
}

/**
 * Where the lab's catchers listen: the ports tandem.yaml's channels send to (its email relay, its
 * webhook URL), so a copy of the demo on other ports needs no other change.
 */
function receiversOf(config: Config): {
  smtpPort: number
  webhookPort: number
  webhookPath: string
} {
  const email = config.channels.find((c) => c.type === 'email')?.with as
    | { smtp?: { port?: unknown } }
    | undefined
  const hook = config.channels.find((c) => c.type === 'webhook')?.with as
    | { url?: unknown }
    | undefined
  const url = typeof hook?.url === 'string' && URL.canParse(hook.url) ? new URL(hook.url) : null
  return {
    smtpPort: typeof email?.smtp?.port === 'number' ? email.smtp.port : 2525,
    webhookPort: url?.port ? Number(url.port) : 8089,
    webhookPath: url?.pathname ?? '/hooks/tandem',
  }
}
