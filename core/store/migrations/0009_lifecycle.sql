ALTER TABLE `fence_states` ADD `confirmed_at` integer;--> statement-breakpoint
ALTER TABLE `fence_states` ADD `reason` text;--> statement-breakpoint
ALTER TABLE `incidents` ADD `resolved_at` integer;--> statement-breakpoint
ALTER TABLE `incidents` ADD `cause` text;--> statement-breakpoint
ALTER TABLE `incidents` ADD `subject` text;--> statement-breakpoint
CREATE INDEX `incidents_subject_status` ON `incidents` (`subject`,`status`);--> statement-breakpoint
ALTER TABLE `runs` ADD `run_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `runs_run_key` ON `runs` (`run_key`);