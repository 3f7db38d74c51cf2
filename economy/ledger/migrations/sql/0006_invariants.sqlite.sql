-- The ledger's invariants, held by SQLite itself (the embedded default of `make run`); the
-- same rules as 0006_invariants.postgresql.sql, in SQLite's trigger language.
-- Reverse: 0006_invariants.sqlite.reverse.sql.

-- 1. A movement stays within one currency, between two different wallets, and names the
--    players it concerns.
CREATE TRIGGER ledger_check_currency BEFORE INSERT ON ledger_transaction
WHEN (SELECT currency_id FROM ledger_wallet WHERE id = NEW.debit_wallet_id) <> NEW.currency_id
  OR (SELECT currency_id FROM ledger_wallet WHERE id = NEW.credit_wallet_id) <> NEW.currency_id
BEGIN
    SELECT RAISE(ABORT, 'ledger: a movement between wallets of different currencies');
END;

CREATE TRIGGER ledger_check_parties BEFORE INSERT ON ledger_transaction
WHEN NEW.user_id IS NOT coalesce(
        (SELECT owner_id FROM ledger_wallet WHERE id = NEW.debit_wallet_id),
        (SELECT owner_id FROM ledger_wallet WHERE id = NEW.credit_wallet_id))
  OR NEW.counterparty_id IS NOT (
        CASE WHEN (SELECT owner_id FROM ledger_wallet WHERE id = NEW.debit_wallet_id) IS NOT NULL
             THEN (SELECT owner_id FROM ledger_wallet WHERE id = NEW.credit_wallet_id) END)
BEGIN
    SELECT RAISE(ABORT, 'ledger: user and counterparty must be the owners of the wallets');
END;

-- 2. Each row is applied to the player wallets it names as it is written; system wallets'
--    balances are derived from the ledger.
CREATE TRIGGER ledger_apply_insert AFTER INSERT ON ledger_transaction
BEGIN
    UPDATE ledger_wallet SET balance = balance - NEW.amount
        WHERE NEW.status = 'completed' AND id = NEW.debit_wallet_id AND owner_id IS NOT NULL;
    UPDATE ledger_wallet SET balance = balance + NEW.amount
        WHERE NEW.status = 'completed' AND id = NEW.credit_wallet_id AND owner_id IS NOT NULL;
    UPDATE ledger_wallet SET held = held + NEW.amount
        WHERE NEW.status = 'pending' AND id = NEW.debit_wallet_id AND owner_id IS NOT NULL;
END;

-- 3. Append-only: a pending row may move to completed, voided or failed, nothing else; no
--    row is ever deleted.
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

CREATE TRIGGER ledger_apply_status AFTER UPDATE OF status ON ledger_transaction
BEGIN
    UPDATE ledger_wallet
        SET held = held - NEW.amount,
            balance = balance - (CASE WHEN NEW.status = 'completed' THEN NEW.amount ELSE 0 END)
        WHERE id = NEW.debit_wallet_id AND owner_id IS NOT NULL;
    UPDATE ledger_wallet SET balance = balance + NEW.amount
        WHERE NEW.status = 'completed' AND id = NEW.credit_wallet_id AND owner_id IS NOT NULL;
END;

CREATE TRIGGER ledger_refuse_delete BEFORE DELETE ON ledger_transaction
BEGIN
    SELECT RAISE(ABORT, 'ledger: rows are append-only (never deleted)');
END;

-- 4. A balance changes only through the ledger: a wallet opens empty, keeps its identity, and
--    its balance and held always equal what its ledger rows say (SQLite has no trigger depth
--    to tell the ledger's own updates apart, so the sums are checked; fine at the scale of
--    the embedded default). A player wallet never rises above its currency's maximum.
CREATE TRIGGER ledger_wallet_opens_empty BEFORE INSERT ON ledger_wallet
WHEN NEW.balance <> 0 OR NEW.held <> 0
BEGIN
    SELECT RAISE(ABORT, 'ledger: a wallet opens empty; currency reaches it by a ledger row');
END;

CREATE TRIGGER ledger_wallet_keeps_identity BEFORE UPDATE ON ledger_wallet
WHEN NEW.owner_id IS NOT OLD.owner_id OR NEW.currency_id <> OLD.currency_id
  OR NEW.name <> OLD.name
BEGIN
    SELECT RAISE(ABORT, 'ledger: a wallet keeps its owner, name and currency');
END;

CREATE TRIGGER ledger_wallet_follows_ledger BEFORE UPDATE OF balance, held ON ledger_wallet
WHEN NEW.balance <> (
        SELECT coalesce(sum(CASE WHEN credit_wallet_id = NEW.id THEN amount ELSE -amount END), 0)
        FROM ledger_transaction
        WHERE status = 'completed' AND (credit_wallet_id = NEW.id OR debit_wallet_id = NEW.id))
  OR NEW.held <> (
        SELECT coalesce(sum(amount), 0) FROM ledger_transaction
        WHERE status = 'pending' AND debit_wallet_id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'ledger: a balance changes only with a ledger row');
END;

CREATE TRIGGER ledger_wallet_maximum BEFORE UPDATE OF balance ON ledger_wallet
WHEN NEW.balance > OLD.balance
  AND NEW.balance > (SELECT max_balance FROM catalog_currency WHERE id = NEW.currency_id)
BEGIN
    SELECT RAISE(ABORT, 'ledger: the wallet would exceed its currency''s maximum balance');
END;
