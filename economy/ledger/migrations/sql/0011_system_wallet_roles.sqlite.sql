-- What each kind of system wallet does, on SQLite too (the same rule as
-- 0011_system_wallet_roles.postgresql.sql).
-- Reverse: 0011_system_wallet_roles.sqlite.reverse.sql.
CREATE TRIGGER ledger_check_system_wallet_roles BEFORE INSERT ON ledger_transaction
WHEN ((SELECT name FROM ledger_wallet WHERE id = NEW.credit_wallet_id) LIKE 'faucet:%'
      OR (SELECT name FROM ledger_wallet WHERE id = NEW.debit_wallet_id) LIKE 'sink:%')
     AND NEW.kind <> 'refund'
  OR (SELECT name FROM ledger_wallet WHERE id = NEW.debit_wallet_id) LIKE 'escrow:%'
  OR (SELECT name FROM ledger_wallet WHERE id = NEW.credit_wallet_id) LIKE 'escrow:%'
     AND (NEW.kind <> 'hold' OR NEW.status = 'completed')
BEGIN
    SELECT RAISE(ABORT, 'ledger: a faucet issues, a sink absorbs, escrow reserves');
END;
