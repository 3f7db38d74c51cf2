"""Once every row names its currency and its two wallets (0005), they are required, and the
database's invariants go in (migrations/sql/0006_invariants.*.sql, by database)."""

from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models

from economy.common.sql_migrations import vendor_sql

SQL = Path(__file__).resolve().parent / "sql"


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
        vendor_sql(SQL / "0006_invariants"),
    ]
