DROP TRIGGER IF EXISTS ledger_check_system_wallet_roles ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_check_system_wallet_roles();
