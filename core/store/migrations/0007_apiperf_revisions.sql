-- Change counters for cached views (the status route): every write to health_states or
-- fence_states, from any process, bumps its counter in the same transaction, and each
-- inserted or updated health row takes the new counter value as its rev. Readers then ask
-- "rows with rev > the one I hold" and never miss a change, whatever clock the writer had.
-- A new health_states column must be added to the UPDATE OF list below.
INSERT OR IGNORE INTO `store_revisions` (`name`, `rev`) VALUES ('health_states', 0), ('fence_states', 0);
--> statement-breakpoint
CREATE TRIGGER `health_states_rev_insert` AFTER INSERT ON `health_states` BEGIN
  UPDATE `store_revisions` SET `rev` = `rev` + 1 WHERE `name` = 'health_states';
  UPDATE `health_states` SET `rev` = (SELECT `rev` FROM `store_revisions` WHERE `name` = 'health_states') WHERE `target` = NEW.`target`;
END;
--> statement-breakpoint
CREATE TRIGGER `health_states_rev_update` AFTER UPDATE OF `target`, `kind`, `state`, `state_type`, `flapping`, `since`, `detail`, `updated_at` ON `health_states` BEGIN
  UPDATE `store_revisions` SET `rev` = `rev` + 1 WHERE `name` = 'health_states';
  UPDATE `health_states` SET `rev` = (SELECT `rev` FROM `store_revisions` WHERE `name` = 'health_states') WHERE `target` = NEW.`target`;
END;
--> statement-breakpoint
CREATE TRIGGER `health_states_rev_delete` AFTER DELETE ON `health_states` BEGIN
  UPDATE `store_revisions` SET `rev` = `rev` + 1 WHERE `name` = 'health_states';
END;
--> statement-breakpoint
CREATE TRIGGER `fence_states_rev_insert` AFTER INSERT ON `fence_states` BEGIN
  UPDATE `store_revisions` SET `rev` = `rev` + 1 WHERE `name` = 'fence_states';
END;
--> statement-breakpoint
CREATE TRIGGER `fence_states_rev_update` AFTER UPDATE ON `fence_states` BEGIN
  UPDATE `store_revisions` SET `rev` = `rev` + 1 WHERE `name` = 'fence_states';
END;
--> statement-breakpoint
CREATE TRIGGER `fence_states_rev_delete` AFTER DELETE ON `fence_states` BEGIN
  UPDATE `store_revisions` SET `rev` = `rev` + 1 WHERE `name` = 'fence_states';
END;
