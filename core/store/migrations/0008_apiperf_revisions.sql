-- Change counters for cached views (the status route): every write to health_states or
-- fence_states that changes what a view shows, from any process, bumps its counter in the
-- same transaction, and each such health row takes the new counter value as its rev. Readers
-- then ask "rows with rev > the one I hold" and never miss a change, whatever clock the
-- writer had. Writes that only move updated_at or flap_history (a probe result repeating
-- while the flap window holds a change) do not count. A column views show that is added to
-- health_states must be added to the WHEN clause of health_states_rev_update.
INSERT OR IGNORE INTO `store_revisions` (`name`, `rev`) VALUES ('health_states', 0), ('fence_states', 0);
--> statement-breakpoint
CREATE TRIGGER `health_states_rev_insert` AFTER INSERT ON `health_states` BEGIN
  UPDATE `store_revisions` SET `rev` = `rev` + 1 WHERE `name` = 'health_states';
  UPDATE `health_states` SET `rev` = (SELECT `rev` FROM `store_revisions` WHERE `name` = 'health_states') WHERE `target` = NEW.`target`;
END;
--> statement-breakpoint
CREATE TRIGGER `health_states_rev_update` AFTER UPDATE ON `health_states`
WHEN OLD.`target` IS NOT NEW.`target` OR OLD.`kind` IS NOT NEW.`kind` OR OLD.`state` IS NOT NEW.`state`
  OR OLD.`state_type` IS NOT NEW.`state_type` OR OLD.`flapping` IS NOT NEW.`flapping`
  OR OLD.`since` IS NOT NEW.`since` OR OLD.`detail` IS NOT NEW.`detail`
BEGIN
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
