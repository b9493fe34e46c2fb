// The health area's public door: per-target state machines and the events they emit.
export { EVENT_TYPES, type EventType, TandemEvent } from './events.ts'
