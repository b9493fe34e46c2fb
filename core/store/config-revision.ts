// The config's revision in the store: a save bumps it, and every instance on the store follows it
// to reload its config file, as the instance that served the save does.
import { eq, sql } from 'drizzle-orm'
import type { Db } from './open.ts'
import { storeRevisions } from './schema.ts'

/** The `store_revisions` row of the config (beside the trigger-kept table counters). */
const CONFIG = 'config'

/**
 * Says the config files were saved: the counter goes up by one, whoever else bumps it too.
 *
 * @example
 * await bumpConfigRevision(store.db) // 4
 */
export async function bumpConfigRevision(db: Db): Promise<number> {
  const [row] = await db
    .insert(storeRevisions)
    .values({ name: CONFIG, rev: 1 })
    .onConflictDoUpdate({
      target: storeRevisions.name,
      set: { rev: sql`${storeRevisions.rev} + 1` },
    })
    .returning({ rev: storeRevisions.rev })
  return row?.rev ?? 0
}

/** The config's revision now (0 before the first save through any instance). */
export async function configRevision(db: Pick<Db, 'select'>): Promise<number> {
  const [row] = await db
    .select({ rev: storeRevisions.rev })
    .from(storeRevisions)
    .where(eq(storeRevisions.name, CONFIG))
  return row?.rev ?? 0
}
