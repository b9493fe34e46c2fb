// Route definitions: each endpoint names its schemas once; the table adds method, path and scope.
import type { Context } from 'hono'
import type { z } from 'zod'
import type { Caller, Scope } from './auth.ts'
import type { ApiContext } from './deps.ts'

/** Who may call a route: a token scope, anyone (`public`), or a request signature (`signed`). */
export type Access = Scope | 'public' | 'signed'
export type Method = 'GET' | 'POST' | 'DELETE'

export interface ApiEnv {
  Variables: { caller?: Caller }
}

type Schema = z.ZodType

/** What a handler receives: the parsed inputs, the caller, the API context. */
export interface EndpointRequest<P extends Schema, Q extends Schema, B extends Schema> {
  c: Context<ApiEnv>
  params: z.output<P>
  query: z.output<Q>
  body: z.output<B>
  /** The body exactly as received (signature checks need the bytes). */
  rawBody: string
  caller: Caller | undefined
  api: ApiContext
}

export interface Endpoint<
  P extends Schema = Schema,
  Q extends Schema = Schema,
  B extends Schema = Schema,
> {
  summary: string
  tag: string
  description?: string
  params?: P
  query?: Q
  body?: B
  /** A body the handler parses itself after checking its signature (documented only). */
  signedBody?: Schema
  /** Documented success body (JSON). */
  response?: Schema
  /** Success status for the document (default 200). */
  status?: number
  /** Media type of the success body when it is not JSON. */
  produces?: 'text/event-stream' | 'text/html' | 'text/plain'
  /** Ingest routes take larger bodies. */
  largeBody?: boolean
  /**
   * For `signed` routes: checks what the request carries outside its body (a known source,
   * well-formed signature headers, a link that verifies) before a byte of the body is read.
   */
  admit?(req: { c: Context<ApiEnv>; params: z.output<P>; api: ApiContext }): void
  /** The handler checks a signature over the raw body itself (access `signed`). */
  handler(req: EndpointRequest<P, Q, B>): Response | Promise<Response>
}

/** One row of the route table. */
export interface Route {
  method: Method
  path: string
  access: Access
  // biome-ignore lint/suspicious/noExplicitAny: the table holds endpoints of every input type
  endpoint: Endpoint<any, any, any>
}

/**
 * Declares an endpoint with its schemas; the handler's inputs are typed from them.
 *
 * @example
 * export const getIncident = endpoint({ summary: 'One incident', tag: 'incidents',
 *   params: z.object({ id: z.string() }), handler: ({ c, params }) => c.json({ id: params.id }) })
 */
export function endpoint<
  P extends Schema = z.ZodObject<Record<string, never>>,
  Q extends Schema = z.ZodObject<Record<string, never>>,
  B extends Schema = z.ZodObject<Record<string, never>>,
>(definition: Endpoint<P, Q, B>): Endpoint<P, Q, B> {
  return definition
}

/** A route table row: `route('GET', '/api/v1/status', 'read', getStatus)`. */
export function route(
  method: Method,
  path: string,
  access: Access,
  definition: Route['endpoint'],
): Route {
  return { method, path, access, endpoint: definition }
}
