// Small pieces every dashboard panel uses: state badges, times, commands.
/** @jsxImportSource hono/jsx */
import type { Command } from '../views/incident-detail.ts'

export function Badge({ state, label }: { state: string; label?: string }) {
  return <span class={`badge s-${state.replace(/[^a-z-]/g, '')}`}>{label ?? state}</span>
}

/** "3m ago" with the exact UTC time on hover. */
export function Ago({ at, now }: { at: number | null | undefined; now: number }) {
  const iso = isoTime(at)
  if (!at || !iso) return <span class="muted">—</span>
  return (
    <time datetime={iso} title={iso}>
      {relative(now - at)}
    </time>
  )
}

/**
 * The UTC time of `at`, or undefined for a value no Date can hold: one bad row (a time stored
 * before inputs were bounded) shows a dash instead of failing the whole page.
 */
export function isoTime(at: number | null | undefined): string | undefined {
  if (typeof at !== 'number') return undefined
  const date = new Date(at)
  return Number.isFinite(date.getTime()) ? date.toISOString() : undefined
}

export function Commands({ commands }: { commands: Command[] }) {
  if (commands.length === 0) return null
  return (
    <pre class="mono">
      {commands
        .map(
          (c) =>
            `${c.node ? `[${c.node}] ` : ''}${c.argv.map(quoteArg).join(' ')}${c.note ? `   # ${c.note}` : ''}`,
        )
        .join('\n')}
    </pre>
  )
}

export function relative(ms: number): string {
  const future = ms < 0
  const s = Math.round(Math.abs(ms) / 1000)
  const text =
    s < 60
      ? `${s}s`
      : s < 3600
        ? `${Math.floor(s / 60)}m`
        : s < 86_400
          ? `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
          : `${Math.floor(s / 86_400)}d`
  return future ? `in ${text}` : `${text} ago`
}

/** Shows an argv element the way a shell user would read it (display only, never executed). */
function quoteArg(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
}
