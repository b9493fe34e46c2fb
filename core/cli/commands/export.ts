// `tandem export keepalived|ldirectord`: generate the LVS tool's config from the one inventory.
import { rename, writeFile } from 'node:fs/promises'
import { exportKeepalived, exportLdirectord } from '../../adopt/index.ts'
import { TandemError } from '../../errors.ts'
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../inventory/index.ts'
import { type Command, parseOptions } from '../command.ts'

const FORMATS = { keepalived: exportKeepalived, ldirectord: exportLdirectord }

export const exportCommand: Command = {
  name: 'export',
  summary: 'write keepalived virtual_server blocks or an ldirectord.cf from the inventory',
  usage: 'tandem export keepalived|ldirectord [--config FILE] [--out FILE]',
  async run(args, io) {
    const { values, positionals } = parseOptions(
      args,
      { config: { type: 'string', default: DEFAULT_CONFIG_FILE }, out: { type: 'string' } },
      true,
    )
    const format = positionals[0] as keyof typeof FORMATS | undefined
    if (!format || !(format in FORMATS) || positionals.length > 1)
      throw new TandemError('BAD_REQUEST', 'say what to export: keepalived or ldirectord')
    const exported = FORMATS[format](await loadConfig(values.config), values.config)
    for (const warning of exported.warnings) io.err(`tandem export: ${warning}\n`)
    if (!values.out) {
      io.out(exported.text)
      return 0
    }
    const temporary = `${values.out}.export-${process.pid}`
    await writeFile(temporary, exported.text)
    await rename(temporary, values.out)
    return 0
  },
}
