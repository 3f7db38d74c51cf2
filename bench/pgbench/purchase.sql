-- The SQL one `POST /api/v1/products/{id}/purchase` (no Idempotency-Key) sends in the steady
-- state, statement for statement, as captured by bench/bootstrap.py sql-counts
-- (CaptureQueriesContext) from economy.inventory.services.purchase_product and the request
-- around it. The token's user and the product come from Redis (their caches are warm), so no
-- SQL reads them. Run by bench/run.py:
--   pgbench -n -M prepared -c 32 -j 2 -f bench/pgbench/purchase.sql
--           -D first_uid=.. -D last_uid=.. -D product=.. -D price=..
-- With first_uid = last_uid every client buys for the same player: the hot row.
-- psycopg binds parameters on the server and prepares what a connection runs repeatedly
-- (DB_SERVER_SIDE_BINDING, on by default), hence -M prepared.
\set uid random(:first_uid, :last_uid)
\set debit -1 * :price
-- CONN_HEALTH_CHECKS: Django checks a persistent connection before its first query.
SELECT 1;
BEGIN;
-- ledger.lock_user: the user row first, always.
SELECT balance FROM accounts_user WHERE id = :uid FOR UPDATE;
-- The inventory upsert (_UPSERT_SQL).
INSERT INTO inventory_inventoryitem (user_id, product_id, quantity, purchased_at, updated_at) VALUES (:uid, :product, 1, now(), now()) ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = inventory_inventoryitem.quantity + EXCLUDED.quantity, updated_at = EXCLUDED.updated_at RETURNING quantity;
-- ledger.debit_purchase: the balance, then the completed purchase row.
UPDATE accounts_user SET balance = balance + :debit WHERE id = :uid;
INSERT INTO ledger_transaction (user_id, product_id, kind, amount, quantity, unit_price, status, failure_reason, reason, idempotency_key, refund_of_id, created_by_id, created_at) VALUES (:uid, :product, 'purchase', :price, 1, :price, 'completed', '', '', '', NULL, NULL, now()) RETURNING id;
COMMIT;
