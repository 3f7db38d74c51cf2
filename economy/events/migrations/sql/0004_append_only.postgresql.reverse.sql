DROP TRIGGER IF EXISTS events_refuse_truncate ON events_event;
DROP TRIGGER IF EXISTS events_guard_event ON events_event;
DROP FUNCTION IF EXISTS events_guard_event();
