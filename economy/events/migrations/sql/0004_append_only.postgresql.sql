-- Events are a record: held by PostgreSQL itself (docs/architecture.md, "Invariants").
-- Reverse: 0004_append_only.postgresql.reverse.sql.

-- 1. An event never changes but for its feed position, given once (outbox.sequence); only an
--    event in the feed leaves it, by the retention's purge (webhooks.delivery.purge_delivered).
CREATE FUNCTION events_guard_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.position IS NULL THEN
            RAISE EXCEPTION 'events: event % is deleted only once in the feed, by the retention', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.position IS NOT NULL OR NEW.position IS NULL
            OR (NEW.id, NEW.type, NEW.user_id, NEW.payload, NEW.created_at)
            IS DISTINCT FROM (OLD.id, OLD.type, OLD.user_id, OLD.payload, OLD.created_at) THEN
        RAISE EXCEPTION 'events: event % never changes but for its feed position, given once', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER events_guard_event
    BEFORE UPDATE OR DELETE ON events_event
    FOR EACH ROW EXECUTE FUNCTION events_guard_event();

-- 2. Nor is the feed truncated (ledger's 0010_tighter_invariants has the function).
CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events_event
    FOR EACH STATEMENT EXECUTE FUNCTION economy_refuse_truncate();
