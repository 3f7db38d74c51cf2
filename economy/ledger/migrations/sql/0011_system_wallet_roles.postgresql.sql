-- What each kind of system wallet does, held by PostgreSQL itself (docs/architecture.md,
-- "Invariants"): a faucet issues currency, and takes it back only by a refund (a bundle's
-- reward taken back); a sink absorbs it, and gives it back only by a refund; escrow:holds
-- receives only holds' reservations and pays out nothing (a capture pays from the player).
-- Reverse: 0011_system_wallet_roles.postgresql.reverse.sql.
CREATE FUNCTION ledger_check_system_wallet_roles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    debit_name text;
    credit_name text;
BEGIN
    SELECT debit.name, credit.name INTO debit_name, credit_name
        FROM ledger_wallet AS debit, ledger_wallet AS credit
        WHERE debit.id = NEW.debit_wallet_id AND credit.id = NEW.credit_wallet_id;
    IF (credit_name LIKE 'faucet:%' OR debit_name LIKE 'sink:%') AND NEW.kind <> 'refund'
            OR debit_name LIKE 'escrow:%'
            OR credit_name LIKE 'escrow:%' AND (NEW.kind <> 'hold' OR NEW.status = 'completed') THEN
        RAISE EXCEPTION 'ledger: a faucet issues, a sink absorbs, escrow reserves: no % from % to %',
                NEW.kind, coalesce(nullif(debit_name, ''), 'a player'),
                coalesce(nullif(credit_name, ''), 'a player')
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_check_system_wallet_roles
    BEFORE INSERT ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_check_system_wallet_roles();
