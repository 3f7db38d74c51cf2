-- The transfers' invariants on SQLite, the same as 0002_append_only.postgresql.sql.
-- Reverse: 0002_append_only.sqlite.reverse.sql.

-- 1. A currency transfer is exactly its ledger row: a completed `transfer` of the same amount
--    and currency, paid by the sender (the row's `user`) to the receiver (its `counterparty`).
CREATE TRIGGER transfers_check_ledger_row BEFORE INSERT ON transfers_transfer
WHEN NEW.transaction_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM ledger_transaction
    WHERE id = NEW.transaction_id
      AND kind = 'transfer'
      AND status = 'completed'
      AND user_id = NEW.from_user_id
      AND counterparty_id = NEW.to_user_id
      AND currency_id = NEW.currency_id
      AND amount = NEW.amount)
BEGIN
    SELECT RAISE(ABORT, 'transfers: a currency transfer is its completed ledger row, from its sender to its receiver');
END;

-- 2. Append-only: a transfer is never updated nor deleted.
CREATE TRIGGER transfers_refuse_update BEFORE UPDATE ON transfers_transfer
BEGIN
    SELECT RAISE(ABORT, 'transfers: rows are append-only (never updated)');
END;

CREATE TRIGGER transfers_refuse_delete BEFORE DELETE ON transfers_transfer
BEGIN
    SELECT RAISE(ABORT, 'transfers: rows are append-only (never deleted)');
END;
