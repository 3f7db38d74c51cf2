DROP TRIGGER IF EXISTS catalog_currency_keeps_its_code ON catalog_currency;
DROP FUNCTION IF EXISTS catalog_refuse_currency_identity_change();
