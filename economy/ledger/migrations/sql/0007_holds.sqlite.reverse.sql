DROP TRIGGER IF EXISTS ledger_refuse_hold_delete;
DROP TRIGGER IF EXISTS ledger_guard_hold;
