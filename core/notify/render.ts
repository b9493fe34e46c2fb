// The text templates of a notice: a safe one-line subject and a plain-text body (HTML is in render-html.ts).
import type { Notice, RenderedNotice } from '../plugin/index.ts'
import { renderHtml } from './render-html.ts'

const MAX_SUBJECT = 200

/**
 * Renders a notice for people: what happened, what tandem did, what it refused and why, where to look.
 *
 * @example
 * const { subject, text, html } = renderNotice(notice)
 */
export function renderNotice(notice: Notice): RenderedNotice {
  return { subject: subjectOf(notice), text: renderText(notice), html: renderHtml(notice) }
}

/** FIRING, RESOLVED, HANDLING, SUCCEEDED, FAILED, BLOCKED or ESCALATED. */
export function tagOf(notice: Notice): string {
  if (notice.status === 'resolved') return 'RESOLVED'
  return (notice.outcome ?? 'firing').toUpperCase()
}

/**
 * `[tandem] FAILED: node node2 is down …` on one line: every control character (CR, LF, NUL,
 * U+2028 …) becomes a space, so nothing interpolated can start a new mail header.
 */
export function subjectOf(notice: Notice): string {
  return oneLine(`[tandem] ${tagOf(notice)}: ${notice.title}`, MAX_SUBJECT)
}

/** One line, no control characters, at most `max` characters. */
export function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/ {2,}/g, ' ')
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat.trim()
}

export function renderText(notice: Notice): string {
  const out: string[] = [`${tagOf(notice)}: ${field(notice.title)}`, '', field(notice.summary)]
  if (notice.events.length > 0) {
    out.push('', 'What happened')
    for (const e of notice.events)
      out.push(
        `  - ${iso(e.at)}  [${e.status ?? notice.status}] ${field(e.type)} ${field(e.subject)}: ${field(e.detail)}`,
      )
  }
  if (notice.actions.length > 0) {
    out.push('', 'What tandem did')
    for (const [i, a] of notice.actions.entries()) {
      const detail = a.detail ? ` - ${field(a.detail)}` : ''
      out.push(`  ${i + 1}. ${field(a.step)} (${field(a.uses)}): ${field(a.status)}${detail}`)
    }
  }
  if (notice.refused.length > 0) {
    out.push('', 'What tandem refused to do, and why')
    for (const r of notice.refused)
      out.push(`  - ${field(r.what)}: ${field(r.guard)} - ${field(r.reason)}`)
  }
  if (notice.links.length > 0) {
    out.push('', 'Where to look')
    for (const link of notice.links) out.push(`  ${field(link.label)}: ${oneLine(link.url)}`)
  }
  const labels = Object.entries(notice.labels).map(([k, v]) => `${k}=${v}`)
  out.push(
    '',
    `Labels: ${field(labels.join(' '))}`,
    `Notice ${notice.id} at ${iso(notice.createdAt)}`,
  )
  return `${out.join('\n')}\n`
}

/** A value inside the body: its own line breaks are indented so it cannot fake a section. */
function field(text: string): string {
  const clean = text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '?')
  return clean.replace(/\r\n?|\n|\u2028|\u2029/g, '\n      ')
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '?'
}
