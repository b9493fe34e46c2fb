// The process logger (pino, JSON lines on stderr) with secret values redacted before they are written.
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
  } = {},
): Logger & { child(bindings: Record<string, unknown>): Logger } {
  const redactValues = options.redactValues ?? (() => [])
  const base = pino(
    {
      level: options.level ?? process.env.TANDEM_LOG_LEVEL ?? 'info',
      base: undefined,
      hooks: {
        streamWrite: (line) => scrub(line, redactValues()),
      },
    },
    (options.destination ?? process.stderr) as pino.DestinationStream,
  )
  return adapt(base)
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
