"""What the ledger's triggers let through, refused (migrations/sql/0010_tighter_invariants.*.sql,
by database): a row skipped by ON CONFLICT moving a balance, a pending row that is no hold's, a
refund that reverses nothing, a wallet's id changed, the books truncated."""

from pathlib import Path

from django.db import migrations

from economy.common.sql_migrations import vendor_sql

SQL = Path(__file__).resolve().parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("ledger", "0009_wallet_created_indexes")]

    operations = [vendor_sql(SQL / "0010_tighter_invariants")]
