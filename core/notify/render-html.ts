// The HTML template of a notice: the same sections as the text, every value escaped.
import type { Notice } from '../plugin/index.ts'

const COLORS: Record<string, string> = {
  FIRING: '#b42318',
  FAILED: '#b42318',
  ESCALATED: '#b42318',
  BLOCKED: '#b54708',
  HANDLING: '#175cd3',
  SUCCEEDED: '#067647',
  RESOLVED: '#067647',
}

/** Renders the HTML body; links are only emitted for http(s) URLs. */
export function renderHtml(notice: Notice): string {
  const tag = notice.status === 'resolved' ? 'RESOLVED' : (notice.outcome ?? 'firing').toUpperCase()
  const parts = [
    `<h2 style="margin:0 0 8px;color:${COLORS[tag] ?? '#344054'}">${esc(tag)}: ${esc(notice.title)}</h2>`,
    `<p>${esc(notice.summary)}</p>`,
  ]
  if (notice.events.length > 0)
    parts.push(
      section(
        'What happened',
        table(
          ['when', 'state', 'event', 'subject', 'detail'],
          notice.events.map((e) => [
            iso(e.at),
            e.status ?? notice.status,
            e.type,
            e.subject,
            e.detail,
          ]),
        ),
      ),
    )
  if (notice.actions.length > 0)
    parts.push(
      section(
        'What tandem did',
        table(
          ['step', 'uses', 'outcome', 'detail'],
          notice.actions.map((a) => [a.step, a.uses, a.status, a.detail]),
        ),
      ),
    )
  if (notice.refused.length > 0)
    parts.push(
      section(
        'What tandem refused to do, and why',
        table(
          ['what', 'guard', 'why'],
          notice.refused.map((r) => [r.what, r.guard, r.reason]),
        ),
      ),
    )
  const links = notice.links.filter((l) => /^https?:\/\//i.test(l.url))
  if (links.length > 0)
    parts.push(
      section(
        'Where to look',
        `<ul>${links.map((l) => `<li><a href="${esc(l.url)}">${esc(l.label)}</a></li>`).join('')}</ul>`,
      ),
    )
  const labels = Object.entries(notice.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  parts.push(
    `<p style="color:#667085;font-size:12px">${esc(labels)}<br>notice ${esc(notice.id)}</p>`,
  )
  return `<!doctype html><html><body style="font-family:sans-serif">${parts.join('\n')}</body></html>\n`
}

function section(title: string, body: string): string {
  return `<h3 style="margin:16px 0 4px">${esc(title)}</h3>${body}`
}

function table(head: string[], rows: string[][]): string {
  const th = head.map((h) => `<th align="left" style="padding:2px 8px">${esc(h)}</th>`).join('')
  const tr = rows.map(
    (r) =>
      `<tr>${r.map((c) => `<td style="padding:2px 8px;vertical-align:top">${esc(c)}</td>`).join('')}</tr>`,
  )
  return `<table style="border-collapse:collapse"><tr>${th}</tr>${tr.join('')}</table>`
}

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/\r\n?|\n/g, '<br>')
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '?'
}
