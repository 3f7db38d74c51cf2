-- Transfers are never truncated either (ledger's 0010_tighter_invariants has the function).
-- Reverse: 0004_never_truncated.postgresql.reverse.sql.
CREATE TRIGGER transfers_refuse_truncate BEFORE TRUNCATE ON transfers_transfer
    FOR EACH STATEMENT EXECUTE FUNCTION economy_refuse_truncate();
