"""What players may gift one another (POST /transfers), and how much of a currency a day.
Nothing is giftable until a content manager says so.

On SQLite the currency's columns are added in place: Django would rebuild the table to add a
NOT NULL column, and SQLite refuses to rebuild a table the ledger's triggers name
(ledger/migrations/sql/0006_invariants.sqlite.sql reads catalog_currency.max_balance).
"""

from django.db import migrations, models

CURRENCY_FIELDS = ("is_giftable", "daily_transfer_limit")
SQLITE_COLUMNS = {
    "is_giftable": '"is_giftable" bool NOT NULL DEFAULT 0',
    "daily_transfer_limit": (
        '"daily_transfer_limit" bigint unsigned NULL CHECK ("daily_transfer_limit" >= 0)'
    ),
}


def add_currency_columns(apps, schema_editor):
    Currency = apps.get_model("catalog", "Currency")
    for name in CURRENCY_FIELDS:
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(f"ALTER TABLE catalog_currency ADD COLUMN {SQLITE_COLUMNS[name]}")
        else:
            schema_editor.add_field(Currency, Currency._meta.get_field(name))


def remove_currency_columns(apps, schema_editor):
    Currency = apps.get_model("catalog", "Currency")
    for name in CURRENCY_FIELDS:
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(f'ALTER TABLE catalog_currency DROP COLUMN "{name}"')
        else:
            schema_editor.remove_field(Currency, Currency._meta.get_field(name))


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0004_price_currency_required'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name='currency',
                    name='daily_transfer_limit',
                    field=models.PositiveBigIntegerField(blank=True, help_text='The most a player may send to other players per UTC day; empty for ECONOMY_DAILY_TRANSFER_LIMIT.', null=True),
                ),
                migrations.AddField(
                    model_name='currency',
                    name='is_giftable',
                    field=models.BooleanField(default=False, help_text='Players may send it to one another (POST /transfers), up to the daily transfer limit. Trusted backends move any currency.'),
                ),
            ],
        ),
        migrations.RunPython(add_currency_columns, remove_currency_columns),
        migrations.AddField(
            model_name='product',
            name='is_giftable',
            field=models.BooleanField(default=False, help_text='Players may send it to one another (POST /transfers). Trusted backends move any product.'),
        ),
    ]
