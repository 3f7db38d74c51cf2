"""What each kind of system wallet does, refused otherwise by the database
(migrations/sql/0011_system_wallet_roles.*.sql): faucets issue, sinks absorb, escrow reserves."""

from pathlib import Path

from django.db import migrations

from economy.common.sql_migrations import vendor_sql

SQL = Path(__file__).resolve().parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("ledger", "0010_tighter_invariants")]

    operations = [vendor_sql(SQL / "0011_system_wallet_roles")]
