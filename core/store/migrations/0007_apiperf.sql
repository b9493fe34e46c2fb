CREATE TABLE `store_revisions` (
	`name` text PRIMARY KEY NOT NULL,
	`rev` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE `health_states` ADD `rev` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `health_states_rev` ON `health_states` (`rev`);