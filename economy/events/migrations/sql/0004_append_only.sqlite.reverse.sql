DROP TRIGGER IF EXISTS events_refuse_delete;
DROP TRIGGER IF EXISTS events_guard_event;
