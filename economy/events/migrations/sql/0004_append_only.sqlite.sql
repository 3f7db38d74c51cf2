-- Events are a record, on SQLite too (the same rules as 0004_append_only.postgresql.sql).
-- Reverse: 0004_append_only.sqlite.reverse.sql.
CREATE TRIGGER events_guard_event BEFORE UPDATE ON events_event
WHEN OLD.position IS NOT NULL OR NEW.position IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.type IS NOT OLD.type OR NEW.user_id IS NOT OLD.user_id
  OR NEW.payload IS NOT OLD.payload OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'events: an event never changes but for its feed position, given once');
END;

CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events_event
WHEN OLD.position IS NULL
BEGIN
    SELECT RAISE(ABORT, 'events: an event is deleted only once in the feed, by the retention');
END;
