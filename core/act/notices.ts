// A NoticeSink that writes escalations and run updates to the log, for the CLI and until notify lands.
import type { Logger } from '../plugin/index.ts'
import type { NoticeSink } from './types.ts'

/**
 * Logs every escalation (error) and run update (info or warn). The daemon passes the notify
 * area's outbox-backed sink instead; this one keeps `tandem exec` honest on a terminal.
 *
 * @example
 * const notices = createLogNoticeSink(log)
 */
export function createLogNoticeSink(log: Logger): NoticeSink {
  return {
    async escalate(e) {
      log.error(`[act] ESCALATION: ${e.title}: ${e.detail}`, {
        incidentId: e.incidentId,
        runId: e.runId,
      })
    },
    async runUpdate(u) {
      const at = u.moment === 'failed' || u.moment === 'blocked' ? 'warn' : 'info'
      const refused = u.refused.map((r) => `${r.what}: ${r.guard} (${r.reason})`).join('; ')
      log[at](`[act] ${u.policy} ${u.moment}${refused ? `: refused ${refused}` : ''}`, {
        runId: u.runId,
      })
    },
  }
}
