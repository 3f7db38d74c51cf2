-- A currency's code is how clients name it ("currency": "gems") and how the ledger's history
-- shows it, and its id is what every wallet and price points to: neither changes once it
-- exists. Swapping two ids inside one transaction would pass the deferred foreign keys and
-- move every wallet to the other currency. Reverse: 0008_currency_keeps_its_code.postgresql.reverse.sql.
CREATE FUNCTION catalog_refuse_currency_identity_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'catalog: currency % keeps its id and its code %', OLD.id, OLD.code
        USING ERRCODE = 'check_violation';
END $$;

CREATE TRIGGER catalog_currency_keeps_its_code BEFORE UPDATE OF id, code ON catalog_currency
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.code IS DISTINCT FROM NEW.code)
    EXECUTE FUNCTION catalog_refuse_currency_identity_change();
