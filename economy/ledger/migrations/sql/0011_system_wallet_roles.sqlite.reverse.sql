DROP TRIGGER IF EXISTS ledger_check_system_wallet_roles;
