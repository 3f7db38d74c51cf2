-- Holds, kept in step with the ledger by PostgreSQL itself (docs/architecture.md, "Invariants").
-- Reverse: 0007_holds.postgresql.reverse.sql.

-- 1. A hold changes once, from pending, and only in what ending it decides; it is never
--    deleted.
CREATE FUNCTION ledger_guard_hold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger: hold % is never deleted', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status <> 'pending'
            OR (NEW.id, NEW.user_id, NEW.wallet_id, NEW.amount, NEW.destination_id,
                NEW.on_expiry, NEW.expires_at, NEW.reference, NEW.reservation_id,
                NEW.created_by_id, NEW.idempotency_key, NEW.created_at)
            IS DISTINCT FROM
               (OLD.id, OLD.user_id, OLD.wallet_id, OLD.amount, OLD.destination_id,
                OLD.on_expiry, OLD.expires_at, OLD.reference, OLD.reservation_id,
                OLD.created_by_id, OLD.idempotency_key, OLD.created_at) THEN
        RAISE EXCEPTION 'ledger: hold % changes only from pending, and only in its outcome', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_guard_hold
    BEFORE UPDATE OR DELETE ON ledger_hold
    FOR EACH ROW EXECUTE FUNCTION ledger_guard_hold();

-- 2. At commit, every hold agrees with its ledger rows, so a wallet's `held` is exactly what
--    its pending holds reserve: the reservation is a pending `hold` row of the hold's amount
--    from the player's wallet to escrow:holds while the hold is pending, and voided once it has
--    ended; a capture is a completed `hold` row of the captured amount from the same wallet to
--    a wallet of the same currency. Checked when either side is written (deferred: a service
--    writes the two in turn), so neither can be changed alone.
CREATE FUNCTION ledger_hold_in_step(hold_id bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    hold ledger_hold%ROWTYPE;
    wallet ledger_wallet%ROWTYPE;
    reservation ledger_transaction%ROWTYPE;
    capture ledger_transaction%ROWTYPE;
BEGIN
    SELECT * INTO hold FROM ledger_hold WHERE id = hold_id;
    SELECT * INTO wallet FROM ledger_wallet WHERE id = hold.wallet_id;
    SELECT * INTO reservation FROM ledger_transaction WHERE id = hold.reservation_id;
    IF wallet.owner_id IS DISTINCT FROM hold.user_id
            OR (SELECT currency_id FROM ledger_wallet WHERE id = hold.destination_id)
                <> wallet.currency_id
            OR reservation.kind <> 'hold' OR reservation.amount <> hold.amount
            OR reservation.debit_wallet_id <> hold.wallet_id
            OR (SELECT name FROM ledger_wallet WHERE id = reservation.credit_wallet_id)
                <> 'escrow:holds'
            OR reservation.status <> (CASE WHEN hold.status = 'pending' THEN 'pending'
                                           ELSE 'voided' END) THEN
        RAISE EXCEPTION 'ledger: hold % does not match its reservation %', hold.id, reservation.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF hold.capture_id IS NOT NULL THEN
        SELECT * INTO capture FROM ledger_transaction WHERE id = hold.capture_id;
        IF capture.kind <> 'hold' OR capture.status <> 'completed'
                OR capture.amount <> hold.captured_amount
                OR capture.debit_wallet_id <> hold.wallet_id THEN
            RAISE EXCEPTION 'ledger: hold % does not match its capture %', hold.id, capture.id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
END $$;

CREATE FUNCTION ledger_check_hold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_hold_in_step(NEW.id);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_check_hold
    AFTER INSERT OR UPDATE ON ledger_hold
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_hold();

CREATE FUNCTION ledger_check_hold_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    hold_id bigint;
BEGIN
    SELECT id INTO hold_id FROM ledger_hold
        WHERE reservation_id = NEW.id OR capture_id = NEW.id;
    IF hold_id IS NULL THEN
        RAISE EXCEPTION 'ledger: the hold row % belongs to no hold', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM ledger_hold_in_step(hold_id);
    RETURN NULL;
END $$;

-- A refused hold leaves a failed row that reserves nothing and belongs to no hold.
CREATE CONSTRAINT TRIGGER ledger_check_hold_row
    AFTER INSERT OR UPDATE ON ledger_transaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.kind = 'hold' AND NEW.status <> 'failed')
    EXECUTE FUNCTION ledger_check_hold_row();
