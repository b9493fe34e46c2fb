// Policy status: which files are loaded, and the last error of a rejected edit (the last good one stays).
import { asc } from 'drizzle-orm'
import { z } from 'zod'
import { policyStates } from '../../store/index.ts'
import { endpoint } from '../route.ts'

const PolicyOut = z.object({
  file: z.string(),
  name: z.string().nullable(),
  hash: z.string().nullable(),
  loadedAt: z.number().int().nullable(),
  lastError: z.string().nullable(),
  lastErrorAt: z.number().int().nullable(),
  /** loaded; failing (never loaded); stale (a newer edit was rejected, the last good one runs). */
  state: z.enum(['loaded', 'failing', 'stale']),
})

export const listPolicies = endpoint({
  summary: 'Loaded policies and their last errors',
  tag: 'policies',
  response: z.object({ items: z.array(PolicyOut) }),
  handler: async ({ c, api }) => {
    const rows = await api.store.db.select().from(policyStates).orderBy(asc(policyStates.file))
    return c.json({ items: rows.map((row) => ({ ...row, state: policyState(row) })) })
  },
})

/** `stale` when the last error is newer than the last successful load. */
export function policyState(row: typeof policyStates.$inferSelect): 'loaded' | 'failing' | 'stale' {
  if (row.loadedAt === null) return 'failing'
  if (row.lastErrorAt !== null && row.lastErrorAt >= row.loadedAt) return 'stale'
  return 'loaded'
}
