// The store area's public door: openStore() and the tables.

export { bumpConfigRevision, configRevision } from './config-revision.ts'
export {
  acquireLease,
  assertLeaseToken,
  type Lease,
  leaseHolder,
  pruneExpiredLeases,
  releaseLease,
} from './leases.ts'
export { type Db, DEFAULT_STORE_URL, openStore, type Store, type StoreOptions } from './open.ts'
export * from './schema.ts'
