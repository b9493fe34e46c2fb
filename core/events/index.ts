// The events area's public door: event and health-row types, the events table's writer, the cursor follower.
export { followEvents } from './follow.ts'
export type { HealthReading, HealthRow } from './health-row.ts'
export * from './types.ts'
export {
  type EventWrites,
  eventWrites,
  insertEvent,
  insertEventOnce,
  insertKeyedEvents,
  type KeyedEvent,
} from './write.ts'
