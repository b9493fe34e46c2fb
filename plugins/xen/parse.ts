// Parsers for what the toolstacks print: `xl list`/`xm list`, `xl info`/`xm info`,
// `virsh list`, `virsh dominfo`/`nodeinfo` and `virsh domstate`.

/** One domain as a toolstack lists it; memory in MiB (undefined where the listing has none). */
export interface DomainRow {
  name: string
  id: number | null
  memoryMiB?: number
  state: DomainState
}

export type DomainState =
  | 'running'
  | 'blocked'
  | 'paused'
  | 'shutdown'
  | 'crashed'
  | 'dying'
  | 'shutoff'

/**
 * `xl list` and `xm list`: Name, ID, Mem, VCPUs, State flags (r b p s c d), Time(s).
 *
 * @example
 * parseXlList('Name   ID   Mem VCPUs\tState\tTime(s)\nguest1  3  2048  1  r-----  1.3\n')
 */
export function parseXlList(text: string): DomainRow[] {
  const rows: DomainRow[] = []
  for (const line of text.split('\n').slice(1)) {
    const m = /^(\S+)\s+(\d*)\s+(\d+)\s+\d+\s+([-rbpscd?S]{6})\s+[\d.]+/.exec(line.trim())
    if (!m) continue
    rows.push({
      name: m[1] as string,
      id: m[2] ? Number(m[2]) : null,
      memoryMiB: Number(m[3]),
      state: fromFlags(m[4] as string),
    })
  }
  return rows
}

/** `xl info` / `xm info` / `virsh dominfo` / `virsh nodeinfo`: `key : value` lines. */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^([^:]+?)\s*:\s?(.*)$/.exec(line)
    if (m) out[(m[1] as string).trim()] = (m[2] as string).trim()
  }
  return out
}

/** `virsh list --all`: the vshTable of Id, Name, State. */
export function parseVirshList(text: string): DomainRow[] {
  const lines = text.split('\n')
  const start = lines.findIndex((l) => /^-+$/.test(l.trim()))
  const rows: DomainRow[] = []
  for (const line of lines.slice(start + 1)) {
    const m = /^\s*(\S+)\s+(\S+)\s+(\S.*?)\s*$/.exec(line)
    if (!m) continue
    rows.push({
      name: m[2] as string,
      id: m[1] === '-' ? null : Number(m[1]),
      state: fromVirsh(m[3] as string),
    })
  }
  return rows
}

/** `virsh domstate [--reason]`: `running`, `shut off (destroyed)` ... */
export function parseVirshState(text: string): DomainState {
  return fromVirsh(
    text
      .trim()
      .split('\n')[0]
      ?.replace(/\s*\(.*\)$/, '') ?? '',
  )
}

/** "8388608 KiB" → 8192 (MiB). */
export function kibToMiB(text: string | undefined): number | undefined {
  const m = /^(\d+)\s*KiB$/.exec(text?.trim() ?? '')
  return m ? Math.floor(Number(m[1]) / 1024) : undefined
}

function fromFlags(flags: string): DomainState {
  if (flags[5] === 'd') return 'dying'
  if (flags[3] === 's') return flags[4] === 'c' ? 'crashed' : 'shutdown'
  if (flags[2] === 'p') return 'paused'
  if (flags[0] === 'r') return 'running'
  // Neither running nor blocked on a CPU right now: an idle guest, still alive.
  return 'blocked'
}

function fromVirsh(state: string): DomainState {
  switch (state) {
    case 'running':
      return 'running'
    case 'idle':
    case 'blocked':
      return 'blocked'
    case 'paused':
    case 'pmsuspended':
      return 'paused'
    case 'in shutdown':
      return 'shutdown'
    case 'crashed':
      return 'crashed'
    default:
      return 'shutoff'
  }
}

/** A state in which the guest occupies its host (memory, disks): it must not start elsewhere. */
export function isAlive(state: DomainState): boolean {
  return state === 'running' || state === 'blocked' || state === 'paused' || state === 'shutdown'
}
