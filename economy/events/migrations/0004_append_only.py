"""Events are a record: the database refuses changing one but for its feed position, deleting
one not yet in the feed, and truncating the feed (migrations/sql/0004_append_only.*.sql)."""

from pathlib import Path

from django.db import migrations

from economy.common.sql_migrations import vendor_sql

SQL = Path(__file__).resolve().parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("events", "0003_item_expired"), ("ledger", "0010_tighter_invariants")]

    operations = [vendor_sql(SQL / "0004_append_only")]
