ALTER TABLE `policy_timers` ADD `event` text;--> statement-breakpoint
ALTER TABLE `policy_timers` ADD `subject` text;--> statement-breakpoint
CREATE INDEX `policy_timers_due` ON `policy_timers` (`due_at`);--> statement-breakpoint
CREATE INDEX `policy_timers_subject` ON `policy_timers` (`subject`);