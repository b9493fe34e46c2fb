// The events area's public door: the event types, the events table's writer and the cursor follower.
export { followEvents } from './follow.ts'
export * from './types.ts'
export {
  type EventWrites,
  eventWrites,
  insertEvent,
  insertEventOnce,
  insertKeyedEvents,
  type KeyedEvent,
} from './write.ts'
