ALTER TABLE `approvals` ADD `updated_at` integer;--> statement-breakpoint
CREATE INDEX `approvals_status` ON `approvals` (`status`);--> statement-breakpoint
CREATE INDEX `approvals_updated` ON `approvals` (`updated_at`);--> statement-breakpoint
ALTER TABLE `runs` ADD `updated_at` integer;--> statement-breakpoint
CREATE INDEX `runs_status` ON `runs` (`status`);--> statement-breakpoint
CREATE INDEX `runs_updated` ON `runs` (`updated_at`);--> statement-breakpoint
ALTER TABLE `steps` ADD `updated_at` integer;--> statement-breakpoint
CREATE INDEX `steps_run` ON `steps` (`run_id`);--> statement-breakpoint
CREATE INDEX `steps_updated` ON `steps` (`updated_at`);--> statement-breakpoint
CREATE INDEX `health_states_updated` ON `health_states` (`updated_at`);