// Builds the mail for a notice: recipients and envelope from config only, one-line subject, thread headers.
import { createHash } from 'node:crypto'
import type { SendMailOptions } from 'nodemailer'
import type { Notice, RenderedNotice } from '../../core/plugin/index.ts'
import type { EmailChannel } from './channel.ts'

/**
 * The message for `notice`. Only the config supplies addresses (as structured objects, never
 * parsed from text) and the SMTP envelope is explicit, so nothing in a notice can add a recipient.
 */
export function mailFor(
  notice: Notice,
  rendered: RenderedNotice,
  channel: EmailChannel,
): SendMailOptions {
  const domain = channel.from.slice(channel.from.lastIndexOf('@') + 1)
  const thread = `<${createHash('sha256').update(`${notice.receiver}\u0000${notice.groupKey}`).digest('hex').slice(0, 32)}@${domain}>`
  const id = /^[A-Za-z0-9_-]+$/.test(notice.id)
    ? notice.id
    : createHash('sha256').update(notice.id).digest('hex')
  return {
    from: { name: channel.from_name ?? 'tandem', address: channel.from },
    to: channel.to.map((address) => ({ name: '', address })),
    cc: channel.cc.map((address) => ({ name: '', address })),
    bcc: channel.bcc.map((address) => ({ name: '', address })),
    envelope: { from: channel.from, to: [...channel.to, ...channel.cc, ...channel.bcc] },
    subject: headerSafe(rendered.subject),
    text: rendered.text,
    html: rendered.html,
    // The notice id never changes across retries: a receiving system can drop duplicates on it.
    // A story's first notice is the thread's root; every later notice of the group or incident
    // replies to that root, so mail clients show one conversation.
    ...(notice.opensThread
      ? { messageId: thread }
      : { messageId: `<${id}@${domain}>`, references: [thread], inReplyTo: thread }),
    headers: {
      'X-Tandem-Notice': id,
      'X-Tandem-Status': notice.status,
      'X-Tandem-Severity': notice.severity,
      ...(notice.outcome ? { 'X-Tandem-Outcome': notice.outcome } : {}),
    },
    disableFileAccess: true,
    disableUrlAccess: true,
  }
}

/** Belt and braces: the renderer already made the subject one line; no CR/LF ever reaches a header. */
export function headerSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').slice(0, 200)
}
