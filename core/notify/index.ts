// The notify area's public door: routing, grouping, silences, the outbox worker and templates.
export { checkChannels, createChannelResolver, type ResolvedChannel } from './channels.ts'
export type { DeliveryReport } from './deliver.ts'
export {
  createNotifier,
  type Escalation,
  type Notifier,
  type NotifierDeps,
} from './notifier.ts'
export type { OutboxStats } from './operator.ts'
export type { PendingUpdate } from './pending.ts'
export { renderNotice, subjectOf } from './render.ts'
export { matchRoutes, type RouteMatch } from './route.ts'
export {
  activeSilences,
  addSilence,
  expireSilence,
  inMaintenance,
  insertSilence,
  mutingSilence,
  type Silence,
  type SilenceInput,
} from './silences.ts'
export type { RunUpdate } from './threads.ts'
