-- What 0006 and 0007 let through, refused (docs/architecture.md, "Invariants").
-- Reverse: 0010_tighter_invariants.postgresql.reverse.sql.

-- 1. A row is applied to the wallets after it is written (AFTER, not BEFORE: a row that an
--    INSERT ... ON CONFLICT DO NOTHING skips must move nothing). Beyond 0006's checks:
--    a pending row is a hold's reservation, and only the hold moves it (to voided, or
--    completed), so `held` is always what pending holds reserve;
--    a refund reverses a completed purchase or reward: the same two wallets the other way,
--    for no more than it moved.
CREATE OR REPLACE FUNCTION ledger_post_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    debit ledger_wallet%ROWTYPE;
    credit ledger_wallet%ROWTYPE;
    reversed ledger_transaction%ROWTYPE;
    unchanged ledger_transaction%ROWTYPE;
    releases bigint := 0;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Append-only: a pending row may move to completed or voided, nothing else.
        unchanged := NEW;
        unchanged.status := OLD.status;
        IF OLD.status <> 'pending' OR NEW.status NOT IN ('completed', 'voided')
                OR unchanged IS DISTINCT FROM OLD THEN
            RAISE EXCEPTION 'ledger: row % is append-only (only a pending row changes, and only its status)', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        releases := NEW.amount;
    END IF;

    SELECT * INTO debit FROM ledger_wallet WHERE id = NEW.debit_wallet_id;
    SELECT * INTO credit FROM ledger_wallet WHERE id = NEW.credit_wallet_id;
    IF TG_OP = 'INSERT' THEN
        IF debit.currency_id <> NEW.currency_id OR credit.currency_id <> NEW.currency_id THEN
            RAISE EXCEPTION 'ledger: a movement between wallets of different currencies'
                USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.user_id IS DISTINCT FROM coalesce(debit.owner_id, credit.owner_id)
                OR NEW.counterparty_id IS DISTINCT FROM
                    (CASE WHEN debit.owner_id IS NOT NULL THEN credit.owner_id END) THEN
            RAISE EXCEPTION 'ledger: user and counterparty must be the owners of the wallets'
                USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.kind = 'refund' AND NEW.status = 'completed' THEN
            SELECT * INTO reversed FROM ledger_transaction WHERE id = NEW.refund_of_id;
            IF reversed.status IS DISTINCT FROM 'completed'
                    OR reversed.kind NOT IN ('purchase', 'reward')
                    OR reversed.debit_wallet_id <> NEW.credit_wallet_id
                    OR reversed.credit_wallet_id <> NEW.debit_wallet_id
                    OR reversed.amount < NEW.amount THEN
                RAISE EXCEPTION 'ledger: a refund reverses a completed purchase or reward, for no more than it moved'
                    USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        IF NEW.status = 'pending' THEN
            IF NEW.kind <> 'hold' THEN
                RAISE EXCEPTION 'ledger: only a hold''s reservation is pending'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF debit.owner_id IS NOT NULL THEN
                UPDATE ledger_wallet SET held = held + NEW.amount WHERE id = debit.id;
            END IF;
            RETURN NULL;
        END IF;
    END IF;

    IF NEW.status = 'completed' THEN
        IF debit.owner_id IS NOT NULL THEN
            UPDATE ledger_wallet SET balance = balance - NEW.amount, held = held - releases
                WHERE id = debit.id;
        END IF;
        IF credit.owner_id IS NOT NULL THEN
            UPDATE ledger_wallet SET balance = balance + NEW.amount WHERE id = credit.id;
        END IF;
    ELSIF releases > 0 AND debit.owner_id IS NOT NULL THEN
        UPDATE ledger_wallet SET held = held - releases WHERE id = debit.id;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER ledger_post_transaction ON ledger_transaction;
CREATE TRIGGER ledger_post_transaction
    AFTER INSERT OR UPDATE ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_post_transaction();

-- 2. A wallet also keeps its id: ledger rows name wallets by id, so swapping two wallets' ids
--    would move every row of one onto the other.
CREATE OR REPLACE FUNCTION ledger_guard_wallet() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.balance <> 0 OR NEW.held <> 0 THEN
            RAISE EXCEPTION 'ledger: a wallet opens empty; currency reaches it by a ledger row'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.id <> OLD.id OR NEW.owner_id IS DISTINCT FROM OLD.owner_id
            OR NEW.currency_id <> OLD.currency_id OR NEW.name <> OLD.name THEN
        RAISE EXCEPTION 'ledger: wallet % keeps its id, owner, name and currency', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF (NEW.balance <> OLD.balance OR NEW.held <> OLD.held) AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'ledger: the balance of wallet % changes only with a ledger row', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.balance > OLD.balance AND NEW.balance > (
            SELECT max_balance FROM catalog_currency WHERE id = NEW.currency_id) THEN
        RAISE EXCEPTION 'ledger: wallet % would exceed its currency''s maximum balance', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

-- 3. The books are never truncated: TRUNCATE skips the row triggers above. The test suite,
--    which empties its database between tests, sets economy.allow_truncate on its connections.
CREATE FUNCTION economy_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('economy.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '%: the books are never truncated', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER ledger_refuse_truncate BEFORE TRUNCATE ON ledger_transaction
    FOR EACH STATEMENT EXECUTE FUNCTION economy_refuse_truncate();
CREATE TRIGGER ledger_refuse_truncate BEFORE TRUNCATE ON ledger_wallet
    FOR EACH STATEMENT EXECUTE FUNCTION economy_refuse_truncate();
CREATE TRIGGER ledger_refuse_truncate BEFORE TRUNCATE ON ledger_hold
    FOR EACH STATEMENT EXECUTE FUNCTION economy_refuse_truncate();
