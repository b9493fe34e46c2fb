// Piranha's lvs.cf (Red Hat Cluster Suite 3–5 directors) → virtual services and their nanny checks.
import { readBlocks, type Statement } from './blocks.ts'
import { type CheckDraft, emptyFragment, type Fragment, type LvsDraft } from './draft.ts'
import { inputError } from './input.ts'
import { splitCommand } from './words.ts'

const GLOBAL = new Set([
  'serial_no',
  'primary',
  'primary_private',
  'service',
  'backup',
  'backup_private',
  'backup_active',
  'heartbeat',
  'heartbeat_port',
  'keepalive',
  'deadtime',
  'network',
  'nat_router',
  'nat_nmask',
  'debug_level',
  'monitor_links',
  'syncdaemon',
  'syncd_iface',
  'syncd_id',
  'tcp_timeout',
  'tcpfin_timeout',
  'udp_timeout',
  'rsh_command',
  'virtual',
  'failover',
  'hard_shutdown',
  'reservation_conflict_action',
])
const VIRTUAL = new Set([
  'active',
  'address',
  'vip_nmask',
  'port',
  'persistent',
  'pmask',
  'send',
  'expect',
  'use_regex',
  'send_program',
  'load_monitor',
  'scheduler',
  'protocol',
  'timeout',
  'reentry',
  'quiesce_server',
  'server',
  'fwmark',
  'sorry_server',
])
const SERVER = new Set(['address', 'active', 'weight', 'port'])
const NETWORK = { direct: 'route', nat: 'masq', tunnel: 'tunnel' } as const

/** Parses lvs.cf: `key = value` lines and `virtual NAME { … server NAME { … } }` blocks. */
export async function parsePiranha(file: string, text: string): Promise<Fragment> {
  const fragment = emptyFragment('piranha', file)
  const top = await readBlocks(file, text, { includes: false, separators: /=/ })
  const value = (key: string) => top.find((s) => s.key === key && !s.children)
  for (const s of top) if (!GLOBAL.has(s.key)) throw inputError(s.at, `unknown keyword "${s.key}"`)
  const primary = value('primary')
  if (primary)
    fragment.nodes.push({
      name: 'director',
      address: primary.args[0],
      role: 'director',
      at: primary.at,
    })
  const backup = value('backup')
  if (backup && value('backup_active')?.args[0] === '1')
    fragment.nodes.push({
      name: 'director-backup',
      address: backup.args[0],
      role: 'director',
      at: backup.at,
    })
  const network = value('network')?.args[0] ?? 'direct'
  const forwarding = NETWORK[network as keyof typeof NETWORK]
  if (!forwarding)
    throw inputError(
      value('network')!.at,
      `network: expected direct, nat or tunnel, got "${network}"`,
    )
  for (const s of top) {
    if (s.key === 'failover' && s.children)
      fragment.notes.push({
        level: 'skipped',
        at: s.at,
        message: `failover ${s.args[0] ?? ''}: Piranha failover services (fos) are not LVS; define the service in the cluster`,
      })
    if (s.key !== 'virtual' || !s.children) continue
    fragment.lvs.push(virtual(s, forwarding, fragment))
  }
  const service = value('service')?.args[0]
  if (service && service !== 'lvs')
    fragment.notes.push({
      level: 'skipped',
      at: value('service')!.at,
      message: `service = ${service}: only lvs is imported`,
    })
  return fragment
}

function virtual(s: Statement, forwarding: LvsDraft['forwarding'], fragment: Fragment): LvsDraft {
  const get = (key: string) => s.children!.find((c) => c.key === key && !c.children)
  for (const c of s.children!)
    if (!VIRTUAL.has(c.key)) throw inputError(c.at, `unknown keyword "${c.key}" in virtual`)
  const fwmark = get('fwmark')
  const address = get('address')?.args[0]
  const draft: LvsDraft = {
    name: s.args[0],
    director: 'director',
    protocol: fwmark ? 'fwmark' : ((get('protocol')?.args[0] ?? 'tcp') as 'tcp' | 'udp'),
    ...(fwmark
      ? { fwmark: num(fwmark) }
      : { address: need(s, address, 'address'), port: num(get('port') ?? missing(s, 'port')) }),
    scheduler: get('scheduler')?.args[0] ?? 'wlc',
    forwarding,
    realServers: [],
    at: s.at,
  }
  const persistent = get('persistent')
  if (persistent && num(persistent) > 0) draft.persistence = num(persistent) * 1000
  const pmask = get('pmask')
  if (pmask) draft.persistenceNetmask = pmask.args[0]!
  const sorry = get('sorry_server')
  if (sorry) draft.sorry = { address: need(sorry, sorry.args[0], 'sorry_server') }
  if (get('active')?.args[0] === '0')
    fragment.notes.push({
      level: 'info',
      at: s.at,
      message: `virtual ${s.args[0]} is inactive (active = 0); imported all the same`,
    })
  const check = checkOf(s, get, draft.port, fragment)
  for (const c of s.children!) {
    if (c.key !== 'server' || !c.children) continue
    for (const k of c.children)
      if (!SERVER.has(k.key)) throw inputError(k.at, `unknown keyword "${k.key}" in server`)
    const at = (key: string) => c.children!.find((k) => k.key === key)
    const weight = at('weight')
    const port = at('port')
    draft.realServers.push({
      address: need(c, at('address')?.args[0], 'address'),
      ...(weight ? { weight: num(weight) } : {}),
      ...(port ? { port: num(port) } : {}),
      checks: check ? [check] : [],
      at: c.at,
    })
  }
  return draft
}

function checkOf(
  s: Statement,
  get: (key: string) => Statement | undefined,
  port: number | undefined,
  fragment: Fragment,
): CheckDraft | undefined {
  const timing = {
    rise: 1,
    fall: 1,
    // nanny declares a server dead after `timeout` seconds without an answer.
    ...(get('timeout') ? { timeout: num(get('timeout')!) * 1000 } : {}),
  }
  const program = get('send_program')
  if (program) {
    const argv = splitCommand(program.args.join(' ').replaceAll('%h', '{address}'), program.at)
    fragment.notes.push({
      level: 'info',
      at: program.at,
      message: `send_program ${argv[0]}: imported as an exec check; tandem runs it but cannot see into it`,
    })
    return { ...timing, kind: 'exec', label: 'send_program', command: argv, at: program.at }
  }
  const send = get('send')?.args[0]
  const expect = get('expect')?.args[0]
  const request = send ? /^(GET|HEAD) (\/\S*) HTTP\/1\.[01]/.exec(send) : null
  if (request) {
    fragment.notes.push({
      level: 'info',
      at: get('send')!.at,
      message: `send/expect "${expect ?? ''}" becomes an http check of ${request[2]} that expects status 200`,
    })
    return { ...timing, kind: 'http', label: 'send/expect', path: request[2]!, at: get('send')!.at }
  }
  if (send || expect)
    fragment.notes.push({
      level: 'skipped',
      at: (get('send') ?? get('expect'))!.at,
      message: 'send/expect other than an HTTP request: imported as a tcp connect check only',
    })
  return { ...timing, kind: 'tcp', label: 'nanny connect', ...(port ? {} : {}), at: s.at }
}

function num(s: Statement): number {
  const n = Number(s.args[0])
  if (!Number.isInteger(n) || n < 0)
    throw inputError(s.at, `${s.key}: expected a number, got "${s.args[0]}"`)
  return n
}

function need(s: Statement, value: string | undefined, key: string): string {
  if (!value) throw inputError(s.at, `${s.key} needs ${key}`)
  return value
}

function missing(s: Statement, key: string): never {
  throw inputError(s.at, `virtual ${s.args[0] ?? ''} needs ${key}`)
}
