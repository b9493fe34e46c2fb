CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`hash` text NOT NULL,
	`scopes` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash_unique` ON `api_tokens` (`hash`);--> statement-breakpoint
CREATE TABLE `approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`step_id` text NOT NULL,
	`status` text NOT NULL,
	`requested_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`decided_by` text,
	`reason` text,
	`decided_at` integer,
	FOREIGN KEY (`step_id`) REFERENCES `steps`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target` text,
	`decision` text NOT NULL,
	`guard` text,
	`reason` text,
	`argv` text,
	`run_id` text,
	`step_id` text
);
--> statement-breakpoint
CREATE INDEX `audit_at` ON `audit_log` (`at`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`subject` text NOT NULL,
	`at` integer NOT NULL,
	`payload` text NOT NULL,
	`labels` text NOT NULL,
	`dedup_key` text
);
--> statement-breakpoint
CREATE INDEX `events_type_at` ON `events` (`type`,`at`);--> statement-breakpoint
CREATE UNIQUE INDEX `events_dedup` ON `events` (`dedup_key`);--> statement-breakpoint
CREATE TABLE `fence_states` (
	`node` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`incident_id` text,
	`method` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `health_states` (
	`target` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`state` text NOT NULL,
	`state_type` text DEFAULT 'hard' NOT NULL,
	`flapping` integer DEFAULT false NOT NULL,
	`since` integer NOT NULL,
	`detail` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`scope` text NOT NULL,
	`response` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`status` text NOT NULL,
	`title` text NOT NULL,
	`opened_at` integer NOT NULL,
	`closed_at` integer,
	`event_id` integer,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `incidents_key_status` ON `incidents` (`key`,`status`);--> statement-breakpoint
CREATE TABLE `instances` (
	`id` text PRIMARY KEY NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `leases` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`token` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notify_groups` (
	`key` text PRIMARY KEY NOT NULL,
	`receiver` text NOT NULL,
	`labels` text NOT NULL,
	`first_at` integer NOT NULL,
	`last_sent_at` integer,
	`last_hash` text,
	`pending` text NOT NULL,
	`resolved` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`receiver` text NOT NULL,
	`group_key` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`delivered_at` integer
);
--> statement-breakpoint
CREATE INDEX `outbox_due` ON `outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `outbox_group` ON `outbox` (`group_key`);--> statement-breakpoint
CREATE TABLE `policy_states` (
	`file` text PRIMARY KEY NOT NULL,
	`name` text,
	`hash` text,
	`loaded_at` integer,
	`last_error` text,
	`last_error_at` integer
);
--> statement-breakpoint
CREATE TABLE `policy_timers` (
	`key` text PRIMARY KEY NOT NULL,
	`policy` text NOT NULL,
	`event_id` integer,
	`since` integer NOT NULL,
	`due_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `receiver_states` (
	`receiver` text PRIMARY KEY NOT NULL,
	`disabled` integer DEFAULT false NOT NULL,
	`reason` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text,
	`policy` text NOT NULL,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`dry_run` integer DEFAULT false NOT NULL,
	`actor` text NOT NULL,
	`leader_token` integer,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `runs_policy_started` ON `runs` (`policy`,`started_at`);--> statement-breakpoint
CREATE TABLE `silences` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`matchers` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`comment` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `steps` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`idx` integer NOT NULL,
	`name` text NOT NULL,
	`uses` text NOT NULL,
	`input` text NOT NULL,
	`commands` text NOT NULL,
	`status` text NOT NULL,
	`blocked_by` text,
	`attempt` integer DEFAULT 0 NOT NULL,
	`idempotency_key` text NOT NULL,
	`target` text,
	`result` text,
	`error` text,
	`started_at` integer,
	`finished_at` integer,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `steps_idempotency` ON `steps` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `steps_status` ON `steps` (`status`);