DROP TRIGGER IF EXISTS transfers_refuse_change ON transfers_transfer;
DROP FUNCTION IF EXISTS transfers_refuse_change();
DROP TRIGGER IF EXISTS transfers_check_ledger_row ON transfers_transfer;
DROP FUNCTION IF EXISTS transfers_check_ledger_row();
