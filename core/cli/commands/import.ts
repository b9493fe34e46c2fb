// `tandem import FILE…`: adopt a running site's keepalived/ldirectord/Piranha/cluster configs.
import { rename, stat, writeFile } from 'node:fs/promises'
import { formatReport, importSite } from '../../adopt/index.ts'
import { TandemError } from '../../errors.ts'
import { DEFAULT_CONFIG_FILE } from '../../inventory/index.ts'
import { type Command, parseOptions } from '../command.ts'

export const importCommand: Command = {
  name: 'import',
  summary: 'write one tandem.yaml from keepalived, ldirectord, Piranha, cluster.conf and CIB files',
  usage:
    'tandem import [KIND:]FILE… [--out FILE] [--force] [--hosts FILE] [--director NAME] [--strict]\n  KIND: keepalived, ldirectord, piranha, cluster-conf, cib (guessed from the content when absent)',
  async run(args, io) {
    const { values, positionals } = parseOptions(
      args,
      {
        out: { type: 'string', default: DEFAULT_CONFIG_FILE },
        force: { type: 'boolean', default: false },
        hosts: { type: 'string' },
        director: { type: 'string' },
        strict: { type: 'boolean', default: false },
      },
      true,
    )
    const result = await importSite(positionals, {
      ...(values.hosts ? { hostsFile: values.hosts } : {}),
      ...(values.director ? { director: values.director } : {}),
      outFile: values.out,
    })
    io.out(formatReport(result.findings, result.notes))
    if (values.strict && result.skipped > 0) {
      io.err(
        `tandem import: --strict: ${result.skipped} things could not be imported; ${values.out} not written\n`,
      )
      return 1
    }
    if (!values.force && (await exists(values.out)))
      throw new TandemError(
        'BAD_REQUEST',
        `${values.out} exists; pass --force to replace it, or --out another file`,
      )
    // Written whole or not at all: a half-written inventory is worse than none.
    const temporary = `${values.out}.import-${process.pid}`
    await writeFile(temporary, result.yaml, { mode: 0o640 })
    await rename(temporary, values.out)
    io.out(`wrote ${values.out}; check it with: tandem check --config ${values.out}\n`)
    return 0
  },
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  )
}
