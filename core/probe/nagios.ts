// Nagios plugin output: exit code to status, the first line as text, perfdata parsed into numbers.
import type { ProbeStatus } from './result.ts'

/** One perfdata item: `'label'=value[UOM];[warn];[crit];[min];[max]`. */
export interface PerfData {
  label: string
  /** null when the plugin reported `U` (the value could not be determined). */
  value: number | null
  /** `s`, `ms`, `us`, `%`, `B`, `KB`, `MB`, `GB`, `TB`, `c` or '' (a plain number). */
  unit: string
  warn?: string
  crit?: string
  min?: number
  max?: number
}

/** A plugin's output split the way the Nagios plugin API defines it. */
export interface PluginOutput {
  text: string
  long: string
  perfdata: PerfData[]
}

/** 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; anything else is UNKNOWN, as Nagios treats it. */
export function statusOfExitCode(code: number | null): ProbeStatus {
  if (code === 0) return 'ok'
  if (code === 1) return 'warning'
  if (code === 2) return 'critical'
  return 'unknown'
}

/**
 * Splits plugin output: the first line's text, the long text of the following lines, and
 * every perfdata item (after `|` on the first line, and after `|` in the long text on).
 *
 * @example
 * parsePluginOutput('TCP OK - 0.001 second response time on port 22|time=0.001s;;;0.000000;10.000000')
 * // { text: 'TCP OK - 0.001 second ...', long: '', perfdata: [{ label: 'time', value: 0.001, unit: 's', min: 0, max: 10 }] }
 */
export function parsePluginOutput(output: string): PluginOutput {
  const lines = output.replace(/\r/g, '').replace(/\n+$/, '').split('\n')
  const [first = '', ...rest] = lines
  const bar = first.indexOf('|')
  const text = (bar < 0 ? first : first.slice(0, bar)).trim()
  const perf: string[] = bar < 0 ? [] : [first.slice(bar + 1)]
  const long: string[] = []
  let inPerf = false
  for (const line of rest) {
    if (inPerf) perf.push(line)
    else {
      const at = line.indexOf('|')
      if (at < 0) long.push(line)
      else {
        long.push(line.slice(0, at))
        perf.push(line.slice(at + 1))
        inPerf = true
      }
    }
  }
  return { text, long: long.join('\n').trim(), perfdata: perf.flatMap(parsePerfData) }
}

/** Parses one perfdata string; malformed items are skipped (output is data, never trusted). */
export function parsePerfData(text: string): PerfData[] {
  const items: PerfData[] = []
  for (const match of text.matchAll(/('(?:[^']|'')+'|[^\s'=]+)=(\S*)/g)) {
    const rawLabel = match[1]!
    const label = rawLabel.startsWith("'") ? rawLabel.slice(1, -1).replace(/''/g, "'") : rawLabel
    const [valuePart = '', warn, crit, min, max] = match[2]!.split(';')
    const value = /^(-?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?|U)([a-zA-Z%]*)$/.exec(valuePart)
    if (!value) continue
    const item: PerfData = {
      label,
      value: value[1] === 'U' ? null : Number(value[1]!.replace(',', '.')),
      unit: value[2] ?? '',
    }
    if (warn) item.warn = warn
    if (crit) item.crit = crit
    const low = numberOf(min)
    const high = numberOf(max)
    if (low !== undefined) item.min = low
    if (high !== undefined) item.max = high
    items.push(item)
  }
  return items
}

function numberOf(text: string | undefined): number | undefined {
  if (!text) return undefined
  const value = Number(text.replace(',', '.'))
  return Number.isFinite(value) ? value : undefined
}
