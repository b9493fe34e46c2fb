// createApp(): the hono app of tandem — REST API, ingest, /metrics and the dashboard, one route table.

import type { Context } from 'hono'
import { Hono } from 'hono'
import { matchedRoutes } from 'hono/route'
import type { z } from 'zod'
import { allows, authenticate, type Caller } from './auth.ts'
import { type ApiContext, type AppDeps, resolveDeps } from './deps.ts'
import { errorHandler, HttpError } from './http-error.ts'
import { parseBoundedJson } from './json-limits.ts'
import type { Access, ApiEnv, Route } from './route.ts'
import { routeTable } from './routes.ts'
import { collectStoreMetrics } from './store-metrics.ts'

/**
 * Builds the HTTP app. The daemon serves it with @hono/node-server; the serverless entry
 * exports `app.fetch`. Nothing that matters is kept in memory: every request reads the store.
 *
 * @example
 * const app = createApp({ store, inventory, metrics: createMetrics(), log, config: { linkSecret } })
 * serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 8080 })
 */
export function createApp(deps: AppDeps): Hono<ApiEnv> {
  const api = resolveDeps(deps)
  const app = new Hono<ApiEnv>()
  app.onError(errorHandler(api.log))
  app.notFound((c) =>
    c.json(
      { error: { code: 'NOT_FOUND', message: `[api] no route ${c.req.method} ${c.req.path}` } },
      404,
    ),
  )
  app.use('*', async (c, next) => {
    await next()
    c.header('X-Content-Type-Options', 'nosniff')
    c.header('Referrer-Policy', 'no-referrer')
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store')
    const matched = matchedRoutes(c).findLast((r) => r.method !== 'ALL')
    api.shared.httpRequests.inc({
      route: matched?.path ?? 'unmatched',
      status: `${String(c.res.status)[0]}xx`,
    })
  })
  for (const entry of routeTable) mount(app, entry, api)
  collectStoreMetrics(api)
  return app
}

function mount(app: Hono<ApiEnv>, entry: Route, api: ApiContext): void {
  const { endpoint } = entry
  const limit = endpoint.largeBody ? api.config.maxIngestBytes : api.config.maxBodyBytes
  app.on(entry.method, entry.path, async (c) => {
    // Credentials first, then the path; the body is read only once both passed.
    const caller = await authorize(c, entry.access, api)
    c.set('caller', caller)
    const params = parse(endpoint.params, c.req.param())
    endpoint.admit?.({ c, params, api })
    const rawBody =
      entry.method === 'GET'
        ? ''
        : entry.access === 'signed'
          ? await readUnauthenticated(api, () => readJsonBody(c, limit))
          : await readJsonBody(c, limit)
    const body = endpoint.body
      ? parse(endpoint.body, rawBody ? parseBoundedJson(rawBody) : {})
      : undefined
    return endpoint.handler({
      c,
      params,
      query: parse(endpoint.query, queryOf(c)),
      body,
      rawBody,
      caller,
      api,
    })
  })
}

/**
 * A signed route's body is read before its signature can be checked: at most
 * `maxUnauthenticatedReads` such bodies are in memory at once; more get 503 with Retry-After.
 */
async function readUnauthenticated(api: ApiContext, read: () => Promise<string>) {
  const slots = api.unauthenticatedReads
  if (slots.count >= api.config.maxUnauthenticatedReads)
    throw new HttpError(503, 'STORE_UNAVAILABLE', '[api] too many unauthenticated requests; retry')
  slots.count++
  try {
    return await read()
  } finally {
    slots.count--
  }
}

/** 401 without a valid token, 403 with one that lacks the scope; public and signed pass. */
async function authorize(
  c: Context<ApiEnv>,
  access: Access,
  api: ApiContext,
): Promise<Caller | undefined> {
  if (access === 'public' || access === 'signed') return undefined
  const caller = await authenticate(api.store, c.req.header('authorization'), api.now())
  if (!caller) throw new HttpError(401, 'UNAUTHORIZED', '[api] a valid bearer token is required')
  if (!allows(caller.scopes, access))
    throw new HttpError(403, 'FORBIDDEN', `[api] this route needs the "${access}" scope`)
  return caller
}

/**
 * State-changing routes take JSON only: a browser cannot send a cross-site JSON POST without
 * a CORS preflight, which tandem never grants. The size limit holds for chunked bodies too.
 */
async function readJsonBody(c: Context<ApiEnv>, limit: number): Promise<string> {
  const type = c.req.header('content-type') ?? ''
  const hasBody =
    c.req.header('content-length') !== undefined || c.req.header('transfer-encoding') !== undefined
  // A DELETE names its target in the path and needs no body; a POST always sends JSON.
  if (c.req.method === 'DELETE' && !hasBody) return ''
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new HttpError(415, 'BAD_REQUEST', '[api] send the body as application/json')
  const length = c.req.header('content-length')
  if (Number(length ?? 0) > limit) throw tooLarge(limit)
  // A declared length bounds the body (the HTTP parser reads no more), so it is read in one go:
  // on @hono/node-server straight from the socket, without building a web stream per request.
  if (length !== undefined) return c.req.raw.text()
  const stream = c.req.raw.body
  if (!stream) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    if (size > limit) throw tooLarge(limit)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'BAD_REQUEST', `[api] body larger than ${limit} bytes`)
}

function parse<T extends z.ZodType | undefined>(schema: T, value: unknown) {
  return (schema ? schema.parse(value) : value) as T extends z.ZodType ? z.output<T> : unknown
}

/** Single query values as strings, repeated ones (`?label=a&label=b`) as arrays. */
function queryOf(c: Context<ApiEnv>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [key, values] of Object.entries(c.req.queries()))
    out[key] = values.length === 1 ? (values[0] as string) : values
  return out
}
