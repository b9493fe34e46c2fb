// The process logger (pino on stderr: readable lines on a terminal, JSON lines otherwise) with secret
// values redacted before they are written.
import { createRequire } from 'node:module'
import { pino } from 'pino'
import type { Logger } from './plugin/index.ts'

export type { Logger }

/**
 * A pino logger adapted to the plugin `Logger` shape; `redactValues` returns every secret
 * value resolved so far, and each is replaced by `***` wherever it appears.
 *
 * @example
 * const log = createLogger({ level: 'info', redactValues: () => secrets.known() })
 */
export function createLogger(
  options: {
    level?: string
    redactValues?: () => readonly string[]
    destination?: NodeJS.WritableStream
    /** `pretty` for people, `json` for machines; default from TANDEM_LOG_FORMAT, else by TTY. */
    format?: LogFormat
  } = {},
): Logger & { child(bindings: Record<string, unknown>): Logger } {
  const redactValues = options.redactValues ?? (() => [])
  const destination = options.destination ?? process.stderr
  const base = pino(
    {
      level: options.level ?? process.env.TANDEM_LOG_LEVEL ?? 'info',
      base: undefined,
      hooks: {
        streamWrite: (line) => scrub(line, redactValues()),
      },
    },
    // Scrubbing happens in streamWrite, on the JSON line, before any pretty printing.
    logFormat(options.format, destination) === 'pretty'
      ? prettyStream(destination)
      : (destination as pino.DestinationStream),
  )
  return adapt(base)
}

export type LogFormat = 'pretty' | 'json'

/**
 * JSON unless a person is reading: an explicit choice wins (`TANDEM_LOG_FORMAT=json|pretty`),
 * else pretty only when the destination is a terminal.
 */
export function logFormat(
  explicit: LogFormat | undefined,
  destination: NodeJS.WritableStream,
): LogFormat {
  const chosen = explicit ?? process.env.TANDEM_LOG_FORMAT
  if (chosen === 'json' || chosen === 'pretty') return chosen
  return (destination as { isTTY?: boolean }).isTTY === true ? 'pretty' : 'json'
}

/** Loaded only for a person at a terminal: a daemon writing JSON does not carry the printer. */
function prettyStream(destination: NodeJS.WritableStream): pino.DestinationStream {
  const { PinoPretty } = createRequire(import.meta.url)(
    'pino-pretty',
  ) as typeof import('pino-pretty')
  return PinoPretty({
    destination,
    sync: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
  })
}

function adapt(log: pino.Logger): Logger & { child(bindings: Record<string, unknown>): Logger } {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (msg: string, fields?: Record<string, unknown>) =>
      fields ? log[level](fields, msg) : log[level](msg)
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => adapt(log.child(bindings)),
  }
}

function scrub(line: string, secrets: readonly string[]): string {
  let out = line
  for (const secret of secrets) {
    if (!secret) continue
    out = out.split(secret).join('***')
    // The JSON-escaped form of the secret, in case it holds quotes or backslashes.
    const escaped = JSON.stringify(secret).slice(1, -1)
    if (escaped !== secret) out = out.split(escaped).join('***')
  }
  return out
}
