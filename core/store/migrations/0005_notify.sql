CREATE TABLE `notify_alerts` (
	`key` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`labels` text NOT NULL,
	`title` text NOT NULL,
	`detail` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer,
	`groups` text NOT NULL,
	`thread` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notify_threads` (
	`key` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`policy` text NOT NULL,
	`phase` text NOT NULL,
	`title` text NOT NULL,
	`labels` text NOT NULL,
	`covers` text NOT NULL,
	`receivers` text NOT NULL,
	`alerts` text NOT NULL,
	`detail` text NOT NULL,
	`opened_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`remind_at` integer,
	`rev` text DEFAULT '' NOT NULL
);
--> statement-breakpoint
ALTER TABLE `notify_groups` ADD `route` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `notify_groups` ADD `due_at` integer;--> statement-breakpoint
ALTER TABLE `notify_groups` ADD `rev` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `notify_groups_due` ON `notify_groups` (`due_at`);