// ipvsadm's failures as typed plugin errors: the kind says what went wrong, the message stays
// the tool's own words (and exit status), so an operator can search for it.
import { type CommandResult, PluginError } from '../../core/plugin/index.ts'

export type LvsErrorKind =
  | 'SERVICE_EXISTS'
  | 'DESTINATION_EXISTS'
  | 'NO_SUCH_SERVICE'
  | 'NO_SUCH_DESTINATION'
  | 'BAD_SCHEDULER'
  | 'BAD_WEIGHT'
  | 'BAD_THRESHOLDS'
  | 'BAD_OPTION'
  | 'BAD_ARGUMENT'
  | 'INVALID_OPERATION'
  | 'IPVS_UNAVAILABLE'
  | 'PERMISSION_DENIED'
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'COMMAND_FAILED'
  | 'UNPARSABLE_OUTPUT'
  | 'UNKNOWN_SERVICE'
  | 'NOT_AN_LVS_SERVICE'
  | 'UNKNOWN_REAL_SERVER'
  | 'NO_SORRY_SERVER'
  | 'DRAIN_TIMEOUT'

/** First match wins: the tool's message (first line of stderr) → kind. */
const KINDS: [RegExp, LvsErrorKind][] = [
  [/^Service already exists$/, 'SERVICE_EXISTS'],
  [/^Destination already exists$/, 'DESTINATION_EXISTS'],
  [/^(No such service|Service not defined)$/, 'NO_SUCH_SERVICE'],
  [/^No such destination$/, 'NO_SUCH_DESTINATION'],
  [/^Scheduler or persistence engine not found$/, 'BAD_SCHEDULER'],
  [/^illegal weight specified$/, 'BAD_WEIGHT'],
  [/^(Numerical result out of range|illegal [ul]_threshold specified)$/, 'BAD_THRESHOLDS'],
  [/: (unknown option|missing argument|option does not take an argument)$/, 'BAD_OPTION'],
  [/^(invalid option `|Try `.* -h')/, 'BAD_OPTION'],
  [/^Invalid operation\./, 'INVALID_OPERATION'],
  [/^Can't initialize ipvs/, 'IPVS_UNAVAILABLE'],
  [/^Permission denied/, 'PERMISSION_DENIED'],
  [/^ssh: (connect to host|Could not resolve)/, 'UNREACHABLE'],
]

/**
 * A failed ipvsadm run as a `PluginError`; `context` says which command (e.g. its argv).
 *
 * @example
 * throw toolError(result, 'ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.12:80')
 */
export function toolError(result: CommandResult, context: string): PluginError {
  if (result.timedOut)
    return new PluginError('lvs', 'TIMEOUT', `no answer within ${result.durationMs} ms`, {
      context,
      exitCode: result.code,
    })
  const message = (result.stderr.trim() || result.stdout.trim()).split('\n')
  const first = message[0] ?? ''
  const kind =
    KINDS.find(([pattern]) => pattern.test(first))?.[1] ??
    (result.code === 2 ? 'BAD_ARGUMENT' : 'COMMAND_FAILED')
  const text = message.join('\n') || `exit status ${result.code ?? result.signal}`
  return new PluginError('lvs', kind, text, { context, exitCode: result.code })
}

/** A problem found by the plugin itself (inventory lookups, drains that never finish). */
export function lvsError(kind: LvsErrorKind, message: string, cause?: unknown): PluginError {
  return new PluginError('lvs', kind, message, cause === undefined ? {} : { cause })
}
