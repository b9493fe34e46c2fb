CREATE TABLE `drained_servers` (
	`service` text NOT NULL,
	`node` text NOT NULL,
	`incident_id` text,
	`since` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `drained_servers_pk` ON `drained_servers` (`service`,`node`);--> statement-breakpoint
ALTER TABLE `fence_states` ADD `failures` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `plan` text;--> statement-breakpoint
ALTER TABLE `steps` ADD `destructive` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `steps` ADD `fence_node` text;--> statement-breakpoint
ALTER TABLE `steps` ADD `processes` text;--> statement-breakpoint
CREATE INDEX `steps_fence_started` ON `steps` (`fence_node`,`started_at`);