-- Holds in SQLite (the embedded default of `make run`): a hold changes once, from pending, and
-- only in its outcome; it is never deleted. PostgreSQL also checks each hold against its
-- ledger rows at commit (0007_holds.postgresql.sql); SQLite has no deferred triggers, and
-- reconcile_ledger checks the same there.
-- Reverse: 0007_holds.sqlite.reverse.sql.
CREATE TRIGGER ledger_guard_hold BEFORE UPDATE ON ledger_hold
WHEN OLD.status <> 'pending'
  OR NEW.id IS NOT OLD.id OR NEW.user_id IS NOT OLD.user_id
  OR NEW.wallet_id IS NOT OLD.wallet_id OR NEW.amount IS NOT OLD.amount
  OR NEW.destination_id IS NOT OLD.destination_id OR NEW.on_expiry IS NOT OLD.on_expiry
  OR NEW.expires_at IS NOT OLD.expires_at OR NEW.reference IS NOT OLD.reference
  OR NEW.reservation_id IS NOT OLD.reservation_id
  OR NEW.created_by_id IS NOT OLD.created_by_id
  OR NEW.idempotency_key IS NOT OLD.idempotency_key OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'ledger: a hold changes only from pending, and only in its outcome');
END;

CREATE TRIGGER ledger_refuse_hold_delete BEFORE DELETE ON ledger_hold
BEGIN
    SELECT RAISE(ABORT, 'ledger: a hold is never deleted');
END;
