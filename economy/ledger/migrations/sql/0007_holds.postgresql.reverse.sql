DROP TRIGGER IF EXISTS ledger_check_hold_row ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_check_hold_row();
DROP TRIGGER IF EXISTS ledger_check_hold ON ledger_hold;
DROP FUNCTION IF EXISTS ledger_check_hold();
DROP FUNCTION IF EXISTS ledger_hold_in_step(bigint);
DROP TRIGGER IF EXISTS ledger_guard_hold ON ledger_hold;
DROP FUNCTION IF EXISTS ledger_guard_hold();
