// ldirectord.cf → virtual services with their real servers and the one check each declares.
import {
  type CheckDraft,
  emptyFragment,
  type Fragment,
  type LvsDraft,
  type Origin,
} from './draft.ts'
import { inputError } from './input.ts'
import { splitCommand } from './words.ts'

const GLOBAL = new Set([
  'checktimeout',
  'connecttimeout',
  'negotiatetimeout',
  'checkinterval',
  'checkcount',
  'failurecount',
  'fallback',
  'fallback6',
  'fallbackcommand',
  'autoreload',
  'callback',
  'logfile',
  'execute',
  'supervised',
  'quiescent',
  'readdquiescent',
  'emailalert',
  'emailalertfreq',
  'emailalertstatus',
  'emailalertfrom',
  'cleanstop',
  'smtp',
  'maintenancedir',
])
const VIRTUAL = new Set([
  'real',
  'real6',
  'request',
  'receive',
  'checktype',
  'checkcommand',
  'checktimeout',
  'connecttimeout',
  'negotiatetimeout',
  'checkcount',
  'failurecount',
  'checkinterval',
  'checkport',
  'login',
  'passwd',
  'database',
  'secret',
  'load',
  'scheduler',
  'persistent',
  'netmask',
  'protocol',
  'service',
  'httpmethod',
  'virtualhost',
  'servicename',
  'comment',
  'fallback',
  'fallback6',
  'fallbackcommand',
  'quiescent',
  'emailalert',
  'emailalertfreq',
  'emailalertstatus',
  'monitorfile',
  'cleanstop',
  'smtp',
  'ops',
  'schedflags',
  'sched-flags',
])
/** What each directive becomes is decided here; the rest are listed as not imported. */
const USED = new Set([
  'real',
  'real6',
  'request',
  'receive',
  'checktype',
  'checkcommand',
  'checktimeout',
  'negotiatetimeout',
  'connecttimeout',
  'failurecount',
  'checkinterval',
  'checkport',
  'scheduler',
  'persistent',
  'netmask',
  'protocol',
  'service',
  'virtualhost',
  'fallback',
  'fallback6',
  'servicename',
  'comment',
  'httpmethod',
])
const METHOD = { gate: 'route', masq: 'masq', ipip: 'tunnel' } as const

interface Directive {
  key: string
  value: string
  at: Origin
}

/** Parses ldirectord.cf the way ldirectord reads it: a virtual's lines are the indented ones. */
export function parseLdirectord(file: string, text: string): Fragment {
  const fragment = emptyFragment('ldirectord', file)
  const globals = new Map<string, Directive>()
  let block: { head: Directive; lines: Directive[] } | undefined
  const blocks: { head: Directive; lines: Directive[] }[] = []
  text.split('\n').forEach((raw, i) => {
    const at = { file, line: i + 1 }
    if (/^\s*#/.test(raw)) return
    const line = raw.replace(/#.*/, '').replace(/\s+$/, '')
    if (!line.trim()) return
    const indented = /^\s/.test(line)
    const m = /^\s*([\w-]+?)\s*=\s*(.*)$/.exec(line)
    if (!m) throw inputError(at, `cannot read "${line.trim()}": expected directive=value`)
    const d = { key: m[1]!, value: m[2]!.trim(), at }
    if (!indented) block = undefined
    if (indented && block) {
      if (!VIRTUAL.has(d.key)) throw inputError(at, `unknown directive "${d.key}" in a virtual`)
      block.lines.push(d)
    } else if (d.key === 'virtual' || d.key === 'virtual6') {
      block = { head: d, lines: [] }
      blocks.push(block)
    } else if (indented) throw inputError(at, `"${d.key}" is indented but no virtual= is open`)
    else if (!GLOBAL.has(d.key)) throw inputError(at, `unknown directive "${d.key}"`)
    else globals.set(d.key, d)
  })
  for (const g of globals.values())
    if (
      ![
        'checktimeout',
        'checkinterval',
        'failurecount',
        'negotiatetimeout',
        'connecttimeout',
      ].includes(g.key)
    )
      fragment.notes.push({
        level: 'info',
        at: g.at,
        message: `${g.key}=${g.value}: ldirectord's own setting, not imported`,
      })
  for (const b of blocks) fragment.lvs.push(virtual(b.head, b.lines, globals, fragment))
  return fragment
}

function virtual(
  head: Directive,
  lines: Directive[],
  globals: Map<string, Directive>,
  fragment: Fragment,
): LvsDraft {
  const get = (key: string) => lines.find((l) => l.key === key) ?? globals.get(key)
  const fwmark = /^\d+$/.test(head.value)
  const [address, port] = fwmark ? [] : hostPort(head)
  const draft: LvsDraft = {
    protocol: fwmark ? 'fwmark' : protocolOf(get('protocol')),
    ...(fwmark ? { fwmark: Number(head.value) } : { address, port: port ?? 0 }),
    scheduler: get('scheduler')?.value ?? 'wrr',
    realServers: [],
    at: head.at,
  }
  const persistent = get('persistent')
  if (persistent) draft.persistence = seconds(persistent)
  const netmask = get('netmask')
  if (netmask) draft.persistenceNetmask = netmask.value
  const fallback = get('fallback') ?? get('fallback6')
  if (fallback) {
    const [a, p] = hostPort({ ...fallback, value: fallback.value.split(/\s+/)[0]! })
    draft.sorry = { address: a!, ...(p ? { port: p } : {}) }
  }
  const name = get('servicename')?.value
  if (name) draft.name = name
  const check = checkOf(get, head, fragment)
  for (const r of lines.filter((l) => l.key === 'real' || l.key === 'real6')) {
    const [spec, how, weight] = r.value.split(/\s+/)
    if (spec?.includes('->')) {
      fragment.notes.push({
        level: 'skipped',
        at: r.at,
        message: `real=${r.value}: address ranges are not imported; list each real server`,
      })
      continue
    }
    const [a, p] = hostPort({ ...r, value: spec ?? '' })
    const forwarding = how ? METHOD[how as keyof typeof METHOD] : 'route'
    if (!forwarding) throw inputError(r.at, `real=: expected gate, masq or ipip, got "${how}"`)
    draft.realServers.push({
      address: a!,
      ...(p ? { port: p } : {}),
      ...(weight ? { weight: Number(weight) } : {}),
      forwarding,
      checks: check ? [check] : [],
      at: r.at,
    })
  }
  for (const l of lines)
    if (!USED.has(l.key))
      fragment.notes.push({
        level: 'skipped',
        at: l.at,
        message: `${l.key}=${l.key === 'passwd' || l.key === 'secret' ? '…' : l.value}: no equivalent in tandem, not imported`,
      })
  return draft
}

function checkOf(
  get: (key: string) => Directive | undefined,
  head: Directive,
  fragment: Fragment,
): CheckDraft | undefined {
  const type = get('checktype')?.value ?? 'negotiate'
  const service = get('service')?.value ?? 'none'
  const at = get('checktype')?.at ?? head.at
  const timing: Partial<CheckDraft> = { rise: 1 }
  const interval = get('checkinterval')
  if (interval) timing.interval = seconds(interval)
  const timeout = get('negotiatetimeout') ?? get('checktimeout') ?? get('connecttimeout')
  if (timeout) timing.timeout = seconds(timeout)
  const failures = get('failurecount')
  timing.fall = failures ? Math.max(1, Number(failures.value)) : 1
  const port = get('checkport')
  if (port) timing.port = Number(port.value)
  const label = `checktype=${type}${type === 'negotiate' ? ` service=${service}` : ''}`
  if (type === 'connect' || (type === 'negotiate' && service === 'none'))
    return { ...timing, kind: 'tcp', label, at }
  if (type === 'ping') return { ...timing, kind: 'ping', label, at }
  if (type === 'external') {
    const cmd = get('checkcommand')
    if (!cmd) return undefined
    return { ...timing, kind: 'exec', label, command: splitCommand(unquote(cmd.value), cmd.at), at }
  }
  if (type === 'negotiate' && (service === 'http' || service === 'https')) {
    const request = get('request')
    const receive = get('receive')
    const host = get('virtualhost')
    const path = `/${unquote(request?.value ?? '/').replace(/^\/+/, '')}`
    return {
      ...timing,
      kind: service,
      label,
      path,
      ...(receive ? { bodyContains: unquote(receive.value) } : {}),
      ...(host ? { hostHeader: host.value } : {}),
      at,
    }
  }
  if (type === 'on' || type === 'off') {
    fragment.notes.push({
      level: 'info',
      at,
      message: `checktype=${type}: no health check, the real servers stay as they are`,
    })
    return undefined
  }
  fragment.notes.push({
    level: 'skipped',
    at,
    message: `${label}: tandem has no such check; the virtual is imported without it`,
  })
  return undefined
}

function hostPort(d: Directive): [string | undefined, number | undefined] {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$|^([^:\s]+)(?::(\d+))?$/.exec(d.value.trim())
  if (!m) throw inputError(d.at, `${d.key}=: expected address:port, got "${d.value}"`)
  const port = m[2] ?? m[4]
  return [m[1] ?? m[3], port ? Number(port) : undefined]
}

function protocolOf(d: Directive | undefined): 'tcp' | 'udp' {
  const p = d?.value ?? 'tcp'
  if (p !== 'tcp' && p !== 'udp')
    throw inputError(d!.at, `protocol=: expected tcp, udp or fwm, got "${p}"`)
  return p
}

function seconds(d: Directive): number {
  const n = Number(d.value)
  if (!Number.isFinite(n) || n < 0)
    throw inputError(d.at, `${d.key}=: expected seconds, got "${d.value}"`)
  return Math.round(n * 1000)
}

function unquote(value: string): string {
  return value.replace(/^"(.*)"$/, '$1')
}
