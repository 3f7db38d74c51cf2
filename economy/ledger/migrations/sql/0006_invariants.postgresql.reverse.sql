DROP TRIGGER IF EXISTS ledger_guard_wallet ON ledger_wallet;
DROP FUNCTION IF EXISTS ledger_guard_wallet();
DROP TRIGGER IF EXISTS ledger_refuse_delete ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_refuse_delete();
DROP TRIGGER IF EXISTS ledger_post_transaction ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_post_transaction();
