"""A currency keeps its id and its code (migrations/sql/0008_currency_keeps_its_code.*.sql)."""

from pathlib import Path

from django.db import migrations

from economy.common.sql_migrations import vendor_sql

SQL = Path(__file__).resolve().parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_roles_run_bundles")]

    operations = [vendor_sql(SQL / "0008_currency_keeps_its_code")]
