"""Once every row names its currency and its two wallets (0005), they are required, and the
database's invariants go in (migrations/sql/0006_invariants.*.sql, by database)."""

from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models

SQL = Path(__file__).resolve().parent / "sql"


def _run(schema_editor, suffix):
    vendor = schema_editor.connection.vendor
    script = SQL / f"0006_invariants.{vendor}{suffix}.sql"
    if not script.exists():
        raise RuntimeError(f"The ledger's invariants exist for PostgreSQL and SQLite, not {vendor}.")
    for statement in schema_editor.connection.ops.prepare_sql_script(script.read_text()):
        schema_editor.execute(statement, params=None)


def install_invariants(apps, schema_editor):
    _run(schema_editor, "")


def remove_invariants(apps, schema_editor):
    _run(schema_editor, ".reverse")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_move_balances_to_wallets")]

    operations = [
        migrations.AlterField(
            model_name="transaction",
            name="currency",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.currency"),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="debit_wallet",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="debits", to="ledger.wallet"),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="credit_wallet",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="credits", to="ledger.wallet"),
        ),
        migrations.RunPython(install_invariants, remove_invariants),
    ]
