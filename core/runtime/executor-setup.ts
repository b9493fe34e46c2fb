// The executor as every entry point builds it (the daemon's instance, the exec/journal/approve commands).
import {
  createExecutor,
  createHealthClusterView,
  type Executor,
  type ExecutorDeps,
} from '../act/index.ts'

/** What differs between entry points: who acts, where notices go, leases, metrics, dry run. */
export type ExecutorSetup = Pick<
  ExecutorDeps,
  | 'store'
  | 'registry'
  | 'inventory'
  | 'secrets'
  | 'log'
  | 'notices'
  | 'actor'
  | 'dryRun'
  | 'metrics'
  | 'fencing'
>

/**
 * An executor over the site's plugins and inventory, which takes quorum and membership from the
 * health rows in the store: the same view whether a daemon or a terminal runs it.
 *
 * @example
 * const executor = buildExecutor({ store, registry, inventory, secrets, log,
 *   notices: createLogNoticeSink(log), actor: 'cli:ana' })
 */
export function buildExecutor(setup: ExecutorSetup): Executor {
  return createExecutor({
    ...setup,
    clusterView: createHealthClusterView(setup.store.db, setup.inventory),
  })
}
