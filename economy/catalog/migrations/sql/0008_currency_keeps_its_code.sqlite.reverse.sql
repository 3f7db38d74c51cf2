DROP TRIGGER IF EXISTS catalog_currency_keeps_its_code;
