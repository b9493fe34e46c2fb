// Every table tandem keeps, each followed by its relations. Migrations are generated from this file.
import { relations } from 'drizzle-orm'
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

const json = <T>(name: string) => text(name, { mode: 'json' }).$type<T>()
const timestamp = (name: string) => integer(name) // epoch milliseconds
/**
 * Set by drizzle on every insert and update, so the live stream can ask "what changed since t".
 * Nullable because SQLite cannot add a NOT NULL column without a constant default, and a
 * constant default would shadow the insert-time value.
 */
const updatedAt = () =>
  integer('updated_at')
    .$defaultFn(() => Date.now())
    .$onUpdateFn(() => Date.now())

/** Current health of one target (check on a real server, node, service). Written on change only. */
export const healthStates = sqliteTable(
  'health_states',
  {
    target: text('target').primaryKey(),
    kind: text('kind').notNull(), // check | node | service | vm
    state: text('state').notNull(), // up | down | degraded | unreachable | unknown
    stateType: text('state_type').notNull().default('hard'), // soft | hard
    flapping: integer('flapping', { mode: 'boolean' }).notNull().default(false),
    since: timestamp('since').notNull(),
    detail: json<Record<string, unknown>>('detail'),
    /** A check's last flap-window results, oldest first: `1` pass, `0` fail (e.g. `1101`). */
    flapHistory: text('flap_history'),
    updatedAt: timestamp('updated_at').notNull(),
    /**
     * Set by a trigger from the `health_states` counter in store_revisions on every insert
     * and on every update that changes what views show (not updated_at or flap_history alone):
     * readers fetch only the rows changed since the revision they hold, whoever wrote them
     * (migration `apiperf_revisions`). Writers leave it alone.
     */
    rev: integer('rev').notNull().default(0),
  },
  // The live stream and the dashboard ask "what changed since t"; the status view "since rev".
  (t) => [index('health_states_updated').on(t.updatedAt), index('health_states_rev').on(t.rev)],
)

/**
 * Change counters kept by triggers (`health_states`, `fence_states`): any insert, update or
 * delete in any process bumps its table's counter in the same transaction, so one read tells
 * whether a cached view is still current.
 */
export const storeRevisions = sqliteTable('store_revisions', {
  name: text('name').primaryKey(),
  rev: integer('rev').notNull().default(0),
})

/** Transitions and inputs: node.down, check.failed, alert.received, manual, config.invalid ... */
export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    type: text('type').notNull(),
    subject: text('subject').notNull(),
    at: timestamp('at').notNull(),
    payload: json<Record<string, unknown>>('payload').notNull(),
    labels: json<Record<string, string>>('labels').notNull(),
    /** Alertmanager fingerprint+status, webhook id ...: the same input twice is one event. */
    dedupKey: text('dedup_key'),
  },
  (t) => [index('events_type_at').on(t.type, t.at), uniqueIndex('events_dedup').on(t.dedupKey)],
)

/** One problem being handled, e.g. `node.down:node2`; groups runs and notices. */
export const incidents = sqliteTable(
  'incidents',
  {
    id: text('id').primaryKey(),
    key: text('key').notNull(),
    // open → resolved (its cause cleared) → closed (stayed clear past the hold-down)
    status: text('status').notNull(),
    title: text('title').notNull(),
    openedAt: timestamp('opened_at').notNull(),
    /** When its cause last cleared; null while open. */
    resolvedAt: timestamp('resolved_at'),
    /** When its "resolved" notice was queued (once per resolution; the leader retries until set). */
    resolvedNoticeAt: timestamp('resolved_notice_at'),
    closedAt: timestamp('closed_at'),
    eventId: integer('event_id').references(() => events.id),
    /** The failure it is about (`node.down`, `manual` ...) and its subject: what resolves it. */
    cause: text('cause'),
    subject: text('subject'),
  },
  (t) => [
    index('incidents_key_status').on(t.key, t.status),
    index('incidents_subject_status').on(t.subject, t.status),
    index('incidents_status_resolved').on(t.status, t.resolvedAt),
  ],
)

export const incidentsRelations = relations(incidents, ({ many, one }) => ({
  runs: many(runs),
  event: one(events, { fields: [incidents.eventId], references: [events.id] }),
}))

/** One policy run (or manual action) inside an incident. */
export const runs = sqliteTable(
  'runs',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id').references(() => incidents.id),
    policy: text('policy').notNull(),
    trigger: json<Record<string, unknown>>('trigger').notNull(),
    // queued (a manual request from the API, waiting for the executor) | planned | running |
    // succeeded | failed | blocked | aborted
    status: text('status').notNull(),
    dryRun: integer('dry_run', { mode: 'boolean' }).notNull().default(false),
    actor: text('actor').notNull(),
    /**
     * What this run carries out, once: `event:<id>/<policy>`, `timer:<key>@<since>/<policy>`,
     * `manual:<uuid>`. Replaying the same event or timer after a crash finds the run here.
     */
    runKey: text('run_key'),
    leaderToken: integer('leader_token'),
    /** The plan as the executor received it (secrets redacted), so a run resumes after a crash. */
    plan: json<Record<string, unknown>>('plan'),
    startedAt: timestamp('started_at').notNull(),
    finishedAt: timestamp('finished_at'),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('runs_policy_started').on(t.policy, t.startedAt),
    index('runs_status').on(t.status),
    index('runs_updated').on(t.updatedAt),
    uniqueIndex('runs_run_key').on(t.runKey),
  ],
)

export const runsRelations = relations(runs, ({ one, many }) => ({
  incident: one(incidents, { fields: [runs.incidentId], references: [incidents.id] }),
  steps: many(steps),
}))

/** A step's intent is written here before it runs; `running` at start-up means `unknown`. */
export const steps = sqliteTable(
  'steps',
  {
    id: text('id').primaryKey(),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id),
    index: integer('idx').notNull(),
    name: text('name').notNull(),
    uses: text('uses').notNull(),
    input: json<Record<string, unknown>>('input').notNull(), // secrets redacted
    commands: json<string[][]>('commands').notNull(), // argv arrays from describe()
    status: text('status').notNull(), // pending | running | succeeded | failed | unknown | skipped | blocked
    blockedBy: text('blocked_by'), // guard name or approval
    attempt: integer('attempt').notNull().default(0),
    idempotencyKey: text('idempotency_key').notNull(),
    target: text('target'),
    destructive: integer('destructive', { mode: 'boolean' }).notNull().default(false),
    /** The node this step fences (fence actions), for the fence guards and fence state. */
    fenceNode: text('fence_node'),
    /** Processes the step spawned (pid + start time), so recovery can wait for orphans. */
    processes: json<{ pid: number; startTicks?: number }[]>('processes'),
    result: json<Record<string, unknown>>('result'),
    error: text('error'),
    startedAt: timestamp('started_at'),
    finishedAt: timestamp('finished_at'),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('steps_idempotency').on(t.idempotencyKey),
    index('steps_status').on(t.status),
    index('steps_run').on(t.runId),
    index('steps_updated').on(t.updatedAt),
    index('steps_fence_started').on(t.fenceNode, t.startedAt),
  ],
)

export const stepsRelations = relations(steps, ({ one }) => ({
  run: one(runs, { fields: [steps.runId], references: [runs.id] }),
}))

/** Fence state per node: clean | unclean | fenced, with the incident that fenced it. */
export const fenceStates = sqliteTable('fence_states', {
  node: text('node').primaryKey(),
  state: text('state').notNull(),
  incidentId: text('incident_id'),
  method: text('method'),
  /** Failed fence attempts since the node was last clean or fenced. */
  failures: integer('failures').notNull().default(0),
  /** When the fence was confirmed (agent off and node not answering); null unless fenced. */
  confirmedAt: timestamp('confirmed_at'),
  /** Why the node is unclean (a failed fence, a fence the node contradicts by answering). */
  reason: text('reason'),
  /**
   * When a device last accepted a power-off whose status read-back never came: until a later
   * rejoin (a new episode) tandem only re-reads status, it never powers the node off again.
   */
  offAcceptedAt: timestamp('off_accepted_at'),
  updatedAt: timestamp('updated_at').notNull(),
})

/** Real servers tandem has drained (weight 0 or removed) and not yet restored: blast radius. */
export const drainedServers = sqliteTable(
  'drained_servers',
  {
    service: text('service').notNull(),
    node: text('node').notNull(),
    incidentId: text('incident_id'),
    since: timestamp('since').notNull(),
  },
  (t) => [uniqueIndex('drained_servers_pk').on(t.service, t.node)],
)

/** Append-only: who did what, why, with which argv (redacted), and which guard said no. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: timestamp('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    decision: text('decision').notNull(), // allowed | blocked | executed | failed | approved | denied
    guard: text('guard'),
    reason: text('reason'),
    argv: json<string[][]>('argv'),
    runId: text('run_id'),
    stepId: text('step_id'),
  },
  (t) => [index('audit_at').on(t.at)],
)

/** Durable outbox: a notice is stored before any delivery attempt; the id never changes. */
export const outbox = sqliteTable(
  'outbox',
  {
    id: text('id').primaryKey(),
    receiver: text('receiver').notNull(),
    groupKey: text('group_key').notNull(),
    payload: json<Record<string, unknown>>('payload').notNull(),
    status: text('status').notNull(), // pending | delivering | delivered | dead | muted
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at').notNull(),
    lastError: text('last_error'),
    createdAt: timestamp('created_at').notNull(),
    deliveredAt: timestamp('delivered_at'),
  },
  (t) => [index('outbox_due').on(t.status, t.nextAttemptAt), index('outbox_group').on(t.groupKey)],
)

/** Aggregation groups (Alertmanager's group_by): what was last sent for a group and when. */
export const notifyGroups = sqliteTable(
  'notify_groups',
  {
    key: text('key').primaryKey(),
    receiver: text('receiver').notNull(),
    labels: json<Record<string, string>>('labels').notNull(),
    firstAt: timestamp('first_at').notNull(),
    lastSentAt: timestamp('last_sent_at'),
    lastHash: text('last_hash'),
    pending: json<Record<string, unknown>[]>('pending').notNull(),
    resolved: integer('resolved', { mode: 'boolean' }).notNull().default(false),
    /** The route (path in the tree, e.g. `0.1`) whose timers apply. */
    route: text('route').notNull().default(''),
    /** When the group must next be looked at (group_wait, group_interval, repeat_interval). */
    dueAt: timestamp('due_at'),
    /** Changes on every write: a writer that read an older rev lost a race and retries. */
    rev: text('rev').notNull().default(''),
  },
  (t) => [index('notify_groups_due').on(t.dueAt)],
)

/** Alerts as notifications see them: what fired, with which labels, and where it was grouped. */
export const notifyAlerts = sqliteTable('notify_alerts', {
  key: text('key').primaryKey(), // node:node2, check:web/node2/http ...
  status: text('status').notNull(), // firing | resolved
  labels: json<Record<string, string>>('labels').notNull(),
  title: text('title').notNull(),
  detail: text('detail').notNull(),
  startsAt: timestamp('starts_at').notNull(),
  endsAt: timestamp('ends_at'),
  /** The notify groups it was put in (a resolution goes to the same ones). */
  groups: json<string[]>('groups').notNull(),
  /** The incident thread that absorbed it while a remediation handles the problem. */
  thread: text('thread'),
  updatedAt: timestamp('updated_at').notNull(),
})

/** One notice thread per incident: "handling it", then the outcome, then resolved. */
export const notifyThreads = sqliteTable('notify_threads', {
  key: text('key').primaryKey(), // the incident id
  runId: text('run_id').notNull(),
  policy: text('policy').notNull(),
  phase: text('phase').notNull(), // handling | succeeded | failed | blocked
  title: text('title').notNull(),
  labels: json<Record<string, string>>('labels').notNull(),
  /** Alerts whose labels include all of these belong to the thread (e.g. `{ node: node2 }`). */
  covers: json<Record<string, string>>('covers').notNull(),
  receivers: json<string[]>('receivers').notNull(),
  /** Keys of the alerts it absorbed. */
  alerts: json<string[]>('alerts').notNull(),
  detail: json<Record<string, unknown>>('detail').notNull(),
  openedAt: timestamp('opened_at').notNull(),
  updatedAt: timestamp('updated_at').notNull(),
  /** A failed or blocked thread whose alerts still fire is repeated at this time. */
  remindAt: timestamp('remind_at'),
  rev: text('rev').notNull().default(''),
})

/** Disabled receivers (e.g. a webhook answered 410 Gone), shown on the dashboard. */
export const receiverStates = sqliteTable('receiver_states', {
  receiver: text('receiver').primaryKey(),
  disabled: integer('disabled', { mode: 'boolean' }).notNull().default(false),
  reason: text('reason'),
  updatedAt: timestamp('updated_at').notNull(),
})

/** Named leases with a monotonically increasing fencing token (leader, shards, cron jobs). */
export const leases = sqliteTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  token: integer('token').notNull(),
  expiresAt: timestamp('expires_at').notNull(),
})

/** Live instances, for sharding probe work. */
export const instances = sqliteTable('instances', {
  id: text('id').primaryKey(),
  startedAt: timestamp('started_at').notNull(),
  heartbeatAt: timestamp('heartbeat_at').notNull(),
})

/** Silences (mute notices) and maintenance windows (mute notices and hold actions). */
export const silences = sqliteTable('silences', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(), // silence | maintenance
  matchers:
    json<{ label: string; op: '=' | '!=' | '=~' | '!~'; value: string }[]>('matchers').notNull(),
  startsAt: timestamp('starts_at').notNull(),
  endsAt: timestamp('ends_at').notNull(),
  createdBy: text('created_by').notNull(),
  comment: text('comment').notNull(),
})

/** A step waiting for a human; single-use, expiring. */
export const approvals = sqliteTable(
  'approvals',
  {
    id: text('id').primaryKey(),
    stepId: text('step_id')
      .notNull()
      .references(() => steps.id),
    status: text('status').notNull(), // pending | approved | denied | expired
    requestedAt: timestamp('requested_at').notNull(),
    expiresAt: timestamp('expires_at').notNull(),
    decidedBy: text('decided_by'),
    reason: text('reason'),
    decidedAt: timestamp('decided_at'),
    updatedAt: updatedAt(),
  },
  (t) => [index('approvals_status').on(t.status), index('approvals_updated').on(t.updatedAt)],
)

export const approvalsRelations = relations(approvals, ({ one }) => ({
  step: one(steps, { fields: [approvals.stepId], references: [steps.id] }),
}))

/** API tokens: only a hash is stored; scopes are read, operate, fence, admin. */
export const apiTokens = sqliteTable('api_tokens', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  hash: text('hash').notNull().unique(),
  scopes: json<string[]>('scopes').notNull(),
  createdAt: timestamp('created_at').notNull(),
  lastUsedAt: timestamp('last_used_at'),
  revokedAt: timestamp('revoked_at'),
})

/** `Idempotency-Key` of API requests: the same key returns the first answer. */
export const idempotencyKeys = sqliteTable('idempotency_keys', {
  key: text('key').primaryKey(),
  scope: text('scope').notNull(),
  response: json<Record<string, unknown>>('response').notNull(),
  createdAt: timestamp('created_at').notNull(),
})

/** Policy `for:` timers, so a pending condition survives a restart. */
export const policyTimers = sqliteTable(
  'policy_timers',
  {
    key: text('key').primaryKey(),
    policy: text('policy').notNull(),
    eventId: integer('event_id'),
    since: timestamp('since').notNull(),
    dueAt: timestamp('due_at').notNull(),
    /** The event that started the timer, re-evaluated when it is due (it may not be stored). */
    event: json<Record<string, unknown>>('event'),
    subject: text('subject'),
  },
  (t) => [index('policy_timers_due').on(t.dueAt), index('policy_timers_subject').on(t.subject)],
)

/** Loaded policy files: what is active and the last error of a rejected edit. */
export const policyStates = sqliteTable('policy_states', {
  file: text('file').primaryKey(),
  name: text('name'),
  hash: text('hash'),
  loadedAt: timestamp('loaded_at'),
  lastError: text('last_error'),
  lastErrorAt: timestamp('last_error_at'),
})

/** Positions of readers that follow a table (the leader's place in `events`), kept across restarts. */
export const cursors = sqliteTable('cursors', {
  name: text('name').primaryKey(),
  position: integer('position').notNull(),
  updatedAt: timestamp('updated_at').notNull(),
})
