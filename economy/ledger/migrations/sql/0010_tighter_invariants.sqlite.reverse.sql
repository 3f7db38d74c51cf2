DROP TRIGGER IF EXISTS ledger_pending_is_a_hold;
DROP TRIGGER IF EXISTS ledger_refund_reverses;

DROP TRIGGER ledger_refuse_rewrite;
CREATE TRIGGER ledger_refuse_rewrite BEFORE UPDATE ON ledger_transaction
WHEN OLD.status <> 'pending' OR NEW.status NOT IN ('completed', 'voided', 'failed')
  OR NEW.id IS NOT OLD.id OR NEW.amount IS NOT OLD.amount
  OR NEW.currency_id IS NOT OLD.currency_id OR NEW.kind IS NOT OLD.kind
  OR NEW.debit_wallet_id IS NOT OLD.debit_wallet_id
  OR NEW.credit_wallet_id IS NOT OLD.credit_wallet_id
  OR NEW.user_id IS NOT OLD.user_id OR NEW.counterparty_id IS NOT OLD.counterparty_id
  OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'ledger: rows are append-only (only a pending row changes, and only its status)');
END;

DROP TRIGGER ledger_wallet_keeps_identity;
CREATE TRIGGER ledger_wallet_keeps_identity BEFORE UPDATE ON ledger_wallet
WHEN NEW.owner_id IS NOT OLD.owner_id OR NEW.currency_id <> OLD.currency_id
  OR NEW.name <> OLD.name
BEGIN
    SELECT RAISE(ABORT, 'ledger: a wallet keeps its owner, name and currency');
END;
