-- What 0006 and 0007 let through, refused on SQLite too (the same rules as
-- 0010_tighter_invariants.postgresql.sql). SQLite applies a row in AFTER triggers already, and
-- has no TRUNCATE: a DELETE runs the row triggers.
-- Reverse: 0010_tighter_invariants.sqlite.reverse.sql.

-- 1. A pending row is a hold's reservation, and it moves only to completed or voided.
CREATE TRIGGER ledger_pending_is_a_hold BEFORE INSERT ON ledger_transaction
WHEN NEW.status = 'pending' AND NEW.kind <> 'hold'
BEGIN
    SELECT RAISE(ABORT, 'ledger: only a hold''s reservation is pending');
END;

DROP TRIGGER ledger_refuse_rewrite;
CREATE TRIGGER ledger_refuse_rewrite BEFORE UPDATE ON ledger_transaction
WHEN OLD.status <> 'pending' OR NEW.status NOT IN ('completed', 'voided')
  OR NEW.id IS NOT OLD.id OR NEW.amount IS NOT OLD.amount
  OR NEW.currency_id IS NOT OLD.currency_id OR NEW.kind IS NOT OLD.kind
  OR NEW.debit_wallet_id IS NOT OLD.debit_wallet_id
  OR NEW.credit_wallet_id IS NOT OLD.credit_wallet_id
  OR NEW.user_id IS NOT OLD.user_id OR NEW.counterparty_id IS NOT OLD.counterparty_id
  OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'ledger: rows are append-only (only a pending row changes, and only its status)');
END;

-- 2. A refund reverses a completed purchase or reward: the same two wallets the other way, for
--    no more than it moved.
CREATE TRIGGER ledger_refund_reverses BEFORE INSERT ON ledger_transaction
WHEN NEW.kind = 'refund' AND NEW.status = 'completed' AND NOT EXISTS (
    SELECT 1 FROM ledger_transaction AS reversed
    WHERE reversed.id = NEW.refund_of_id AND reversed.status = 'completed'
      AND reversed.kind IN ('purchase', 'reward')
      AND reversed.debit_wallet_id = NEW.credit_wallet_id
      AND reversed.credit_wallet_id = NEW.debit_wallet_id
      AND reversed.amount >= NEW.amount)
BEGIN
    SELECT RAISE(ABORT, 'ledger: a refund reverses a completed purchase or reward, for no more than it moved');
END;

-- 3. A wallet also keeps its id.
DROP TRIGGER ledger_wallet_keeps_identity;
CREATE TRIGGER ledger_wallet_keeps_identity BEFORE UPDATE ON ledger_wallet
WHEN NEW.id IS NOT OLD.id OR NEW.owner_id IS NOT OLD.owner_id
  OR NEW.currency_id <> OLD.currency_id OR NEW.name <> OLD.name
BEGIN
    SELECT RAISE(ABORT, 'ledger: a wallet keeps its id, owner, name and currency');
END;
