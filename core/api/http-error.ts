// HTTP errors and the one mapping from any thrown error to a status and a JSON body (app.onError).
import { LibsqlError } from '@libsql/client/sqlite3'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from 'zod'
import { ChangeError } from '../editor/index.ts'
import { ConfigError, type ErrorCode, TandemError } from '../errors.ts'
import type { Logger } from '../log.ts'

/** An error with an explicit HTTP status, for the cases TandemError codes do not name (410, 415 ...). */
export class HttpError extends TandemError {
  readonly status: ContentfulStatusCode

  constructor(
    status: ContentfulStatusCode,
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
    this.name = 'HttpError'
    this.status = status
  }
}

/** The error body every route answers with: `{ error: { code, message, issues? } }`. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
})

const STATUS_OF: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  BAD_REQUEST: 400,
  CONFIG_INVALID: 400,
  POLICY_INVALID: 400,
  PLUGIN_INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  STORE_CONFLICT: 409,
  ACTION_BLOCKED: 409,
  STORE_UNAVAILABLE: 503,
  STALE_LEADER: 503,
}

/**
 * Turns any error into the HTTP answer. Storage failures become 503 with Retry-After, so a
 * sender (Alertmanager, a webhook) retries instead of believing something was stored.
 *
 * @example
 * app.onError(errorHandler(log))
 */
export function errorHandler(log: Logger) {
  return function onError(error: Error, c: Context): Response {
    const { status, code, message, issues } = classify(error)
    if (status >= 500)
      log.error('[api] request failed', {
        method: c.req.method,
        path: c.req.path,
        code,
        error: error.message,
      })
    if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="tandem"')
    if (status === 503) c.header('Retry-After', '5')
    return c.json({ error: { code, message, ...(issues ? { issues } : {}) } }, status)
  }
}

interface Classified {
  status: ContentfulStatusCode
  code: string
  message: string
  issues?: { field: string; message: string; file?: string; line?: number; col?: number }[]
}

function classify(error: Error): Classified {
  if (error instanceof HttpError)
    return { status: error.status, code: error.code, message: error.message }
  if (error instanceof z.ZodError)
    return {
      status: 400,
      code: 'BAD_REQUEST',
      message: '[api] invalid request',
      issues: error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    }
  // A config the editor would write: every problem, positioned as `tandem check` prints it.
  if (error instanceof ConfigError)
    return { status: 400, code: error.code, message: error.message, issues: error.issues }
  if (error instanceof ChangeError)
    return {
      status: 400,
      code: error.code,
      message: error.message,
      issues: [{ field: error.field, message: error.message }],
    }
  if (error instanceof TandemError)
    return { status: STATUS_OF[error.code] ?? 500, code: error.code, message: error.message }
  if (error instanceof HTTPException)
    return { status: error.status as ContentfulStatusCode, code: 'HTTP', message: error.message }
  const sqlite = storeCode(error)
  if (sqlite?.startsWith('SQLITE_CONSTRAINT'))
    return { status: 409, code: 'STORE_CONFLICT', message: '[store] conflicting write' }
  if (sqlite)
    return {
      status: 503,
      code: 'STORE_UNAVAILABLE',
      message: `[store] storage unavailable (${sqlite}); retry later`,
    }
  return { status: 500, code: 'INTERNAL', message: '[api] internal error' }
}

/** The libSQL/SQLite error code anywhere in the cause chain (drizzle wraps driver errors). */
function storeCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as Error).cause, depth++) {
    if (e instanceof LibsqlError) return e.code
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code
  }
  return undefined
}
