DROP TRIGGER IF EXISTS transfers_refuse_truncate ON transfers_transfer;
