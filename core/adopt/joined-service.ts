// A service as adopt joins it from its sources: what the merge builds and the rules check.
import type { ClusterServiceDraft } from './draft.ts'
import type { MergedLvs } from './lvs-merge.ts'

/** A tandem service: an LVS virtual service, a cluster service, or both joined. */
export interface JoinedService {
  name: string
  lvs?: MergedLvs
  cluster?: ClusterServiceDraft
}
