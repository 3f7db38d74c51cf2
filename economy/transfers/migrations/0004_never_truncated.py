"""Transfers are never truncated (migrations/sql/0004_never_truncated.*.sql)."""

from pathlib import Path

from django.db import migrations

from economy.common.sql_migrations import vendor_sql

SQL = Path(__file__).resolve().parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("transfers", "0003_support_views_transfers"), ("ledger", "0010_tighter_invariants")]

    operations = [vendor_sql(SQL / "0004_never_truncated")]
