-- Back to 0006's functions and trigger; no guard on TRUNCATE.
DROP TRIGGER IF EXISTS ledger_refuse_truncate ON ledger_hold;
DROP TRIGGER IF EXISTS ledger_refuse_truncate ON ledger_wallet;
DROP TRIGGER IF EXISTS ledger_refuse_truncate ON ledger_transaction;
DROP FUNCTION IF EXISTS economy_refuse_truncate();

CREATE OR REPLACE FUNCTION ledger_post_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    debit ledger_wallet%ROWTYPE;
    credit ledger_wallet%ROWTYPE;
    unchanged ledger_transaction%ROWTYPE;
    releases bigint := 0;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Append-only: a pending row may move to completed, voided or failed, nothing else.
        unchanged := NEW;
        unchanged.status := OLD.status;
        IF OLD.status <> 'pending' OR NEW.status NOT IN ('completed', 'voided', 'failed')
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
        IF NEW.status = 'pending' THEN
            IF debit.owner_id IS NOT NULL THEN
                UPDATE ledger_wallet SET held = held + NEW.amount WHERE id = debit.id;
            END IF;
            RETURN NEW;
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
    RETURN NEW;
END $$;

DROP TRIGGER ledger_post_transaction ON ledger_transaction;
CREATE TRIGGER ledger_post_transaction
    BEFORE INSERT OR UPDATE ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_post_transaction();

CREATE OR REPLACE FUNCTION ledger_guard_wallet() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.balance <> 0 OR NEW.held <> 0 THEN
            RAISE EXCEPTION 'ledger: a wallet opens empty; currency reaches it by a ledger row'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.owner_id IS DISTINCT FROM OLD.owner_id OR NEW.currency_id <> OLD.currency_id
            OR NEW.name <> OLD.name THEN
        RAISE EXCEPTION 'ledger: wallet % keeps its owner, name and currency', OLD.id
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
