DROP TRIGGER IF EXISTS transfers_refuse_delete;
DROP TRIGGER IF EXISTS transfers_refuse_update;
DROP TRIGGER IF EXISTS transfers_check_ledger_row;
