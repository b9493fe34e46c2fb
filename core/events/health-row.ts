// A health_states row: what health writes on each transition, and what readers of current health use.
import type { HealthState } from './types.ts'

/** A health_states row as the engine writes it (on transitions only). */
export interface HealthRow {
  target: string
  kind: 'check' | 'node' | 'service' | 'vm' | 'storage' | 'monitor' | 'cluster'
  /** The monitor's row is `down` while it is blind, `up` once it sees again. */
  state: HealthState
  stateType: 'soft' | 'hard'
  flapping: boolean
  since: number
  detail: Record<string, unknown> | null
  /**
   * A check's flap history, oldest result first (`1` pass, `0` fail; see FlapHistory); null
   * for other rows. Written with every result while the window holds a state change, so a
   * restart, a shard move or a serverless tick resumes the exact history.
   */
  flapHistory: string | null
  updatedAt: number
}

/**
 * The part of a row that policy views, plans and simulations read: kind and state as the store
 * returns them (text), the detail where there is one.
 */
export type HealthReading = Pick<HealthRow, 'target'> & {
  kind: string
  state: string
  detail?: HealthRow['detail']
}
