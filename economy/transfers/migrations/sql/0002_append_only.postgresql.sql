-- The transfers' invariants, held by PostgreSQL itself (docs/architecture.md, "Invariants").
-- Reverse: 0002_append_only.postgresql.reverse.sql.

-- 1. A currency transfer is exactly its ledger row: a completed `transfer` of the same amount
--    and currency, paid by the sender (the row's `user`) to the receiver (its `counterparty`).
CREATE FUNCTION transfers_check_ledger_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.transaction_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM ledger_transaction AS row
        WHERE row.id = NEW.transaction_id
          AND row.kind = 'transfer'
          AND row.status = 'completed'
          AND row.user_id = NEW.from_user_id
          AND row.counterparty_id = NEW.to_user_id
          AND row.currency_id = NEW.currency_id
          AND row.amount = NEW.amount
    ) THEN
        RAISE EXCEPTION 'transfers: a currency transfer is its completed ledger row, from its sender to its receiver'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER transfers_check_ledger_row
    BEFORE INSERT ON transfers_transfer
    FOR EACH ROW EXECUTE FUNCTION transfers_check_ledger_row();

-- 2. Append-only: a transfer is never updated nor deleted.
CREATE FUNCTION transfers_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'transfers: row % is append-only (never updated nor deleted)', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER transfers_refuse_change
    BEFORE UPDATE OR DELETE ON transfers_transfer
    FOR EACH ROW EXECUTE FUNCTION transfers_refuse_change();
