"""Transfers are append-only in the database, and a currency transfer is exactly its ledger row
(migrations/sql/0002_append_only.*.sql, by database)."""

from pathlib import Path

from django.db import migrations

from economy.common.sql_migrations import vendor_sql

SQL = Path(__file__).resolve().parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("transfers", "0001_initial")]

    operations = [vendor_sql(SQL / "0002_append_only")]
