-- As on PostgreSQL (0008_currency_keeps_its_code.postgresql.sql): a currency keeps its id and
-- its code.
CREATE TRIGGER catalog_currency_keeps_its_code BEFORE UPDATE OF id, code ON catalog_currency
FOR EACH ROW WHEN OLD.id IS NOT NEW.id OR OLD.code IS NOT NEW.code
BEGIN
    SELECT RAISE(ABORT, 'catalog: a currency keeps its id and its code');
END;
