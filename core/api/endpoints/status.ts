// Status routes: the cluster at a glance, every target's health (paged), and who the caller is.
import { and, asc, eq, getTableColumns, gt, inArray } from 'drizzle-orm'
import { z } from 'zod'
import { healthStates } from '../../store/index.ts'
import { endpoint } from '../route.ts'
import { Limit, Page, Repeated } from '../schemas.ts'
import { currentStatus } from '../views/status-source.ts'

const Health = z.object({
  state: z.string(),
  since: z.number().int().nullable(),
  flapping: z.literal(true).optional(),
  soft: z.literal(true).optional(),
})

const StatusOut = z.object({
  cluster: z.object({ name: z.string().nullable(), manager: z.string().nullable() }),
  generatedAt: z.number().int(),
  summary: z.object({
    targets: z.number().int(),
    byState: z.record(z.string(), z.number().int()),
    openIncidents: z.number().int(),
    pendingApprovals: z.number().int(),
    activeSilences: z.number().int(),
  }),
  nodes: z.array(
    z
      .object({ name: z.string(), address: z.string(), roles: z.array(z.string()), health: Health })
      .loose(),
  ),
  services: z.array(z.object({ name: z.string(), health: Health }).loose()),
  vms: z.array(z.object({ name: z.string(), host: z.string(), health: Health }).loose()),
  storage: z.array(z.object({ name: z.string(), kind: z.string(), health: Health }).loose()),
  problems: z.array(Health.extend({ target: z.string(), kind: z.string(), since: z.number() })),
})

export const getStatus = endpoint({
  summary: 'The cluster at a glance',
  description:
    'Nodes (health, fence state, guests, cluster services), services (LVS virtual service, real servers with configured and live weights, cluster placement), VMs, storage, and the targets that are not up. Kept current from the rows that changed since the last answer (revision counters the store keeps on every write, whoever writes), so a change is in the very next answer; `ETag`/`If-None-Match` give 304.',
  tag: 'status',
  response: StatusOut,
  handler: async ({ c, api }) => {
    const view = await currentStatus(api)
    c.header('ETag', view.etag)
    if (c.req.header('if-none-match') === view.etag) return c.body(null, 304)
    return c.body(view.json(), 200, { 'Content-Type': 'application/json' })
  },
})

// `rev` is the store's bookkeeping for cached views, not part of a target's health.
const { rev: _rev, ...targetColumns } = getTableColumns(healthStates)

const TargetOut = z.object({
  target: z.string(),
  kind: z.string(),
  state: z.string(),
  stateType: z.string(),
  flapping: z.boolean(),
  since: z.number().int(),
  updatedAt: z.number().int(),
  detail: z.record(z.string(), z.unknown()).nullable(),
  /** A check's flap window, oldest result first: `1` passed, `0` failed (null: not a check). */
  flapHistory: z.string().nullable(),
})

export const listTargets = endpoint({
  summary: 'Health of every target, paged by target name',
  tag: 'status',
  query: z.object({
    kind: Repeated.optional(),
    state: Repeated.optional(),
    limit: Limit,
    cursor: z.string().optional(),
  }),
  response: Page(TargetOut),
  handler: async ({ c, api, query }) => {
    const rows = await api.store.db
      .select(targetColumns)
      .from(healthStates)
      .where(
        and(
          query.kind ? inArray(healthStates.kind, query.kind) : undefined,
          query.state ? inArray(healthStates.state, query.state) : undefined,
          query.cursor ? gt(healthStates.target, query.cursor) : undefined,
        ),
      )
      .orderBy(asc(healthStates.target))
      .limit(query.limit + 1)
    const items = rows.slice(0, query.limit)
    const last = items.at(-1)
    return c.json({ items, nextCursor: rows.length > query.limit && last ? last.target : null })
  },
})

export const getTarget = endpoint({
  summary: 'Health of one target',
  tag: 'status',
  params: z.object({ target: z.string().min(1) }),
  response: TargetOut,
  handler: async ({ c, api, params }) => {
    const [row] = await api.store.db
      .select(targetColumns)
      .from(healthStates)
      .where(eq(healthStates.target, params.target))
      .limit(1)
    if (!row)
      return c.json(
        { error: { code: 'NOT_FOUND', message: `[api] no target ${params.target}` } },
        404,
      )
    return c.json(row)
  },
})

export const whoami = endpoint({
  summary: 'The caller: token name and scopes',
  tag: 'auth',
  response: z.object({ name: z.string(), scopes: z.array(z.string()) }),
  handler: ({ c, caller }) =>
    c.json({ name: caller?.name ?? '', scopes: [...(caller?.scopes ?? [])] }),
})
