// `tandem approve|deny <id> --reason ...`: decide a step waiting for a human; the daemon picks it up.
import { decideApproval } from '../../act/index.ts'
import { DEFAULT_CONFIG_FILE } from '../../inventory/index.ts'
import { openCliStore } from '../act-setup.ts'
import { type Command, parseOptions } from '../command.ts'

function decision(approve: boolean): Command {
  const name = approve ? 'approve' : 'deny'
  return {
    name,
    summary: approve
      ? 'approve a step waiting for approval (single use, before it expires)'
      : 'deny a step waiting for approval; the run stops there',
    usage: `tandem ${name} <APPROVAL-ID> --reason TEXT [--by NAME] [--config FILE] [--store URL]`,
    async run(args, io) {
      const { values, positionals } = parseOptions(
        args,
        {
          config: { type: 'string', default: DEFAULT_CONFIG_FILE },
          store: { type: 'string' },
          reason: { type: 'string' },
          by: { type: 'string' },
        },
        true,
      )
      const [id] = positionals
      if (!id || !values.reason?.trim()) {
        io.err(`tandem ${name}: an approval id and --reason are required\nusage: ${this.usage}\n`)
        return 2
      }
      const store = await openCliStore(values.config, values.store)
      try {
        const row = await decideApproval(store.db, id, {
          approve,
          by: values.by ?? `cli:${process.env.USER ?? 'operator'}`,
          reason: values.reason,
          now: Date.now(),
        })
        io.out(
          `${id}: ${row.status} (step ${row.stepId}); the daemon ${approve ? 'runs it' : 'stops the run'} at its next approval poll\n`,
        )
        return 0
      } finally {
        store.close()
      }
    },
  }
}

export const approveCommand = decision(true)
export const denyCommand = decision(false)
