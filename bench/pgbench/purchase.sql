-- The SQL one `POST /api/v1/products/{id}/purchase` (no Idempotency-Key) sends, statement
-- for statement, as captured by bench/bootstrap.py sql-counts (CaptureQueriesContext) from
-- economy.inventory.services.purchase_product and the request around it. Run by bench/run.py:
--   pgbench -n -M simple -c 32 -j 2 -f bench/pgbench/purchase.sql
--           -D first_uid=.. -D last_uid=.. -D product=.. -D price=..
-- With first_uid = last_uid every client buys for the same player: the hot row.
-- psycopg 3 binds parameters on the client (Django's default), hence -M simple.
\set uid random(:first_uid, :last_uid)
-- CONN_HEALTH_CHECKS: Django checks a persistent connection before its first query.
SELECT 1;
-- TokenAuthentication (the real lookup is by token key, a primary-key probe; the user id here
-- is an equally unique index probe, so pgbench needs no file of tokens).
SELECT "authtoken_token"."key", "authtoken_token"."user_id", "authtoken_token"."created", "accounts_user"."id", "accounts_user"."password", "accounts_user"."last_login", "accounts_user"."is_superuser", "accounts_user"."username", "accounts_user"."first_name", "accounts_user"."last_name", "accounts_user"."is_staff", "accounts_user"."is_active", "accounts_user"."date_joined", "accounts_user"."email", "accounts_user"."balance", "accounts_user"."created_at" FROM "authtoken_token" INNER JOIN "accounts_user" ON ("authtoken_token"."user_id" = "accounts_user"."id") WHERE "authtoken_token"."user_id" = :uid LIMIT 21;
-- _get_product, before the transaction.
SELECT "catalog_product"."id", "catalog_product"."name", "catalog_product"."price", "catalog_product"."type", "catalog_product"."is_active" FROM "catalog_product" WHERE "catalog_product"."id" = :product LIMIT 21;
BEGIN;
-- ledger.lock_user: the user row first, always.
SELECT "accounts_user"."id", "accounts_user"."balance" FROM "accounts_user" WHERE "accounts_user"."id" = :uid LIMIT 21 FOR UPDATE;
-- The inventory upsert (_UPSERT_SQL).
INSERT INTO inventory_inventoryitem (user_id, product_id, quantity, purchased_at, updated_at) VALUES (:uid, :product, 1, now(), now()) ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = inventory_inventoryitem.quantity + EXCLUDED.quantity, updated_at = EXCLUDED.updated_at RETURNING quantity;
-- ledger.debit_purchase: the balance, then the completed purchase row.
UPDATE "accounts_user" SET "balance" = ("accounts_user"."balance" - :price) WHERE "accounts_user"."id" = :uid;
INSERT INTO "ledger_transaction" ("user_id", "product_id", "kind", "amount", "quantity", "unit_price", "status", "failure_reason", "reason", "idempotency_key", "refund_of_id", "created_by_id", "created_at") VALUES (:uid, :product, 'purchase', :price, 1, :price, 'completed', '', '', '', NULL, NULL, now()) RETURNING "ledger_transaction"."id";
COMMIT;
