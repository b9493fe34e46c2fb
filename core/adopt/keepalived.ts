// keepalived.conf (with includes) → virtual services, real servers and their checkers.
import { nearestName } from '../inventory/index.ts'
import { readBlocks, type Statement } from './blocks.ts'
import {
  type CheckDraft,
  emptyFragment,
  type Fragment,
  type LvsDraft,
  type RealServerDraft,
} from './draft.ts'
import { inputError } from './input.ts'
import { CHECKER_KEYS, CHECKERS, RS, TOP, URL_KEYS, VS } from './keepalived-keywords.ts'
import { splitCommand } from './words.ts'

const KIND = { NAT: 'masq', DR: 'route', TUN: 'tunnel' } as const

/** Parses keepalived.conf and its includes; an unknown keyword is an error, as keepalived -t says. */
export async function parseKeepalived(file: string, text: string): Promise<Fragment> {
  const fragment = emptyFragment('keepalived', file)
  const tree = withoutConditions(await readBlocks(file, text, { includes: true }), fragment)
  for (const top of tree) {
    if (!TOP.has(top.key)) throw unknown(top, 'at the top level')
    if (top.key === 'virtual_server' && top.args[0] === 'group')
      fragment.notes.push({
        level: 'skipped',
        at: top.at,
        message: `virtual_server group ${top.args[1] ?? ''}: groups are not imported; list each virtual server`,
      })
    else if (top.key === 'virtual_server') fragment.lvs.push(virtualServer(top, fragment))
    else if (top.key === 'global_defs') continue
    else
      fragment.notes.push({
        level: 'skipped',
        at: top.at,
        message: top.key.startsWith('vrrp')
          ? `${top.key} ${top.args.join(' ')}: VRRP stays with keepalived (export the virtual_server blocks with \`tandem export keepalived\`)`
          : `${top.key}: not an LVS service; tandem does not manage it`,
      })
  }
  return fragment
}

function virtualServer(vs: Statement, fragment: Fragment): LvsDraft {
  const [first, second] = vs.args
  const fwmark = first === 'fwmark'
  const draft: LvsDraft = {
    protocol: fwmark ? 'fwmark' : 'tcp',
    ...(fwmark ? { fwmark: int(vs, second) } : { address: need(vs, first), port: int(vs, second) }),
    realServers: [],
    at: vs.at,
  }
  let delay: number | undefined
  const shared: Partial<CheckDraft> = {}
  for (const s of vs.children ?? []) {
    if (!VS.has(s.key)) throw unknown(s, 'in virtual_server')
    const v = s.args[0]
    if (s.key === 'delay_loop') delay = seconds(s, v)
    else if (s.key === 'lb_algo' || s.key === 'lvs_sched') draft.scheduler = need(s, v)
    else if (s.key === 'lb_kind' || s.key === 'lvs_method') draft.forwarding = method(s, v)
    else if (s.key === 'persistence_timeout') draft.persistence = seconds(s, v ?? '360')
    else if (s.key === 'persistence_granularity') draft.persistenceNetmask = need(s, v)
    else if (s.key === 'protocol') draft.protocol = protocolOf(s, v, draft.protocol)
    else if (s.key === 'sorry_server')
      draft.sorry = { address: need(s, v), ...(s.args[1] ? { port: int(s, s.args[1]) } : {}) }
    else if (s.key === 'real_server') continue
    else if (s.key === 'retry') shared.fall = int(s, v)
    else if (s.key === 'connect_timeout') shared.timeout = seconds(s, v)
    else if (s.key === 'virtualhost') shared.hostHeader = need(s, v)
    else note(fragment, s, 'virtual_server')
  }
  for (const s of vs.children ?? [])
    if (s.key === 'real_server') draft.realServers.push(realServer(s, fragment, delay, shared))
  return draft
}

function realServer(
  rs: Statement,
  fragment: Fragment,
  delay: number | undefined,
  shared: Partial<CheckDraft>,
): RealServerDraft {
  const draft: RealServerDraft = {
    address: need(rs, rs.args[0]),
    ...(rs.args[1] ? { port: int(rs, rs.args[1]) } : {}),
    checks: [],
    at: rs.at,
  }
  let upper: number | undefined
  let lower: number | undefined
  const own: Partial<CheckDraft> = { ...shared, ...(delay ? { interval: delay } : {}) }
  for (const s of rs.children ?? []) {
    const v = s.args[0]
    if (CHECKERS.has(s.key)) {
      const check = checker(s, fragment, own)
      if (check) draft.checks.push(check)
    } else if (!RS.has(s.key)) throw unknown(s, 'in real_server')
    else if (s.key === 'weight') draft.weight = int(s, v)
    else if (s.key === 'uthreshold') upper = int(s, v)
    else if (s.key === 'lthreshold') lower = int(s, v)
    else if (s.key === 'lvs_method') draft.forwarding = method(s, v)
    else if (s.key === 'delay_loop') own.interval = seconds(s, v)
    else if (s.key === 'retry') own.fall = int(s, v)
    else if (s.key === 'connect_timeout') own.timeout = seconds(s, v)
    else note(fragment, s, 'real_server')
  }
  if (upper !== undefined || lower !== undefined)
    draft.thresholds = { upper: upper ?? 0, lower: lower ?? 0 }
  return draft
}

function checker(
  block: Statement,
  fragment: Fragment,
  inherited: Partial<CheckDraft>,
): CheckDraft | undefined {
  const kind = {
    HTTP_GET: 'http',
    SSL_GET: 'https',
    TCP_CHECK: 'tcp',
    MISC_CHECK: 'exec',
    PING_CHECK: 'ping',
  }[block.key] as CheckDraft['kind'] | undefined
  if (!kind) {
    fragment.notes.push({
      level: 'skipped',
      at: block.at,
      message: `${block.key}: tandem has no such check; this real server is imported without it`,
    })
    return undefined
  }
  const check: CheckDraft = { rise: 1, fall: 1, ...inherited, kind, label: block.key, at: block.at }
  let urls = 0
  for (const s of block.children ?? []) {
    const v = s.args[0]
    if (!CHECKER_KEYS.has(s.key)) throw unknown(s, `in ${block.key}`)
    if (s.key === 'connect_port') check.port = int(s, v)
    else if (s.key === 'connect_timeout') check.timeout = seconds(s, v)
    else if (s.key === 'delay_loop') check.interval = seconds(s, v)
    else if (s.key === 'retry' || s.key === 'nb_get_retry') check.fall = Math.max(1, int(s, v))
    else if (s.key === 'virtualhost') check.hostHeader = need(s, v)
    else if (s.key === 'misc_path') check.command = splitCommand(need(s, v), s.at)
    else if (s.key === 'misc_timeout') check.timeout = seconds(s, v)
    else if (s.key === 'url' && urls++ === 0) url(s, check, fragment)
    else if (s.key === 'url') note(fragment, s, `only the first url of ${block.key} is checked`)
    else if (s.key !== 'delay_before_retry') note(fragment, s, block.key)
  }
  if (kind === 'exec' && !check.command) throw inputError(block.at, 'MISC_CHECK needs misc_path')
  if (kind === 'exec')
    fragment.notes.push({
      level: 'info',
      at: block.at,
      message: `MISC_CHECK ${check.command?.[0]}: imported as an exec check; tandem runs the script but cannot see into it`,
    })
  return check
}

function url(block: Statement, check: CheckDraft, fragment: Fragment): void {
  for (const s of block.children ?? []) {
    if (!URL_KEYS.has(s.key)) throw unknown(s, 'in url')
    if (s.key === 'path') check.path = need(s, s.args[0])
    else if (s.key === 'status_code') check.status = s.args.flatMap((a) => statusCodes(s, a))
    else if (s.key === 'virtualhost') check.hostHeader = need(s, s.args[0])
    else note(fragment, s, 'url')
  }
}

function note(fragment: Fragment, s: Statement, where: string): void {
  fragment.notes.push({
    level: 'skipped',
    at: s.at,
    message: `${s.key} ${s.args.join(' ')} (${where}): no equivalent in tandem, not imported`,
  })
}

function unknown(s: Statement, where: string): Error {
  const near = nearestName(s.key, [...TOP, ...VS, ...RS, ...CHECKERS, ...CHECKER_KEYS])
  return inputError(
    s.at,
    `unknown keyword "${s.key}" ${where}${near ? `; did you mean "${near}"?` : ''}`,
  )
}

function need(s: Statement, value: string | undefined): string {
  if (value === undefined || value === '') throw inputError(s.at, `${s.key} needs a value`)
  return value
}

function int(s: Statement, value: string | undefined): number {
  const n = Number(need(s, value))
  if (!Number.isInteger(n) || n < 0)
    throw inputError(s.at, `${s.key}: expected a number, got "${value}"`)
  return n
}

/** keepalived times are seconds, fractions allowed; tandem keeps milliseconds. */
function seconds(s: Statement, value: string | undefined): number {
  const n = Number(need(s, value))
  if (!Number.isFinite(n) || n < 0)
    throw inputError(s.at, `${s.key}: expected seconds, got "${value}"`)
  return Math.round(n * 1000)
}

function method(s: Statement, value: string | undefined): 'masq' | 'route' | 'tunnel' {
  const m = KIND[need(s, value).toUpperCase() as keyof typeof KIND]
  if (!m) throw inputError(s.at, `${s.key}: expected NAT, DR or TUN, got "${value}"`)
  return m
}

function protocolOf(s: Statement, value: string | undefined, now: LvsDraft['protocol']) {
  if (now === 'fwmark') return now
  const p = need(s, value).toLowerCase()
  if (p !== 'tcp' && p !== 'udp')
    throw inputError(s.at, `protocol: expected TCP or UDP, got "${value}"`)
  return p
}

/** `200`, or keepalived's range `200-299`, as the list of codes tandem expects. */
function statusCodes(s: Statement, text: string): number[] {
  const [from, to] = text.split('-').map((part) => int(s, part))
  const last = to ?? from!
  if (from! < 100 || last > 599 || last < from!)
    throw inputError(s.at, `status_code: expected codes 100-599, got "${text}"`)
  return Array.from({ length: last - from! + 1 }, (_, i) => from! + i)
}

/** Statements for one keepalived instance (`@name`) are not imported: the site runs several. */
function withoutConditions(statements: Statement[], fragment: Fragment): Statement[] {
  const out: Statement[] = []
  for (const s of statements) {
    if (s.condition) {
      fragment.notes.push({
        level: 'skipped',
        at: s.at,
        message: `@${s.condition} ${s.key}: only for keepalived -i ${s.condition}; conditional lines are not imported`,
      })
      continue
    }
    if (s.children) s.children = withoutConditions(s.children, fragment)
    out.push(s)
  }
  return out
}
