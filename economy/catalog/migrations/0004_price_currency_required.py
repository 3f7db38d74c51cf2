"""Every product is priced in a currency; PostgreSQL checks at commit that exactly one
currency is the default. Apart from 0003, whose data must be in before these ALTERs run."""

import django.db.models.deletion
from django.db import migrations, models

ONE_DEFAULT_SQL = """
CREATE FUNCTION catalog_one_default_currency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM catalog_currency WHERE is_default) <> 1 THEN
        RAISE EXCEPTION 'catalog: exactly one currency is the default'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER catalog_one_default_currency
    AFTER INSERT OR UPDATE OF is_default OR DELETE ON catalog_currency
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION catalog_one_default_currency();
"""
ONE_DEFAULT_REVERSE_SQL = """
DROP TRIGGER IF EXISTS catalog_one_default_currency ON catalog_currency;
DROP FUNCTION IF EXISTS catalog_one_default_currency();
"""


def one_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ONE_DEFAULT_SQL)


def drop_one_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ONE_DEFAULT_REVERSE_SQL)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_currencies")]

    operations = [
        migrations.AlterField(
            model_name="product",
            name="price_currency",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="products", to="catalog.currency", verbose_name="currency"),
        ),
        migrations.AlterField(
            model_name="product",
            name="price",
            field=models.PositiveBigIntegerField(help_text="Price in its currency, greater than 0."),
        ),
        migrations.RunPython(one_default, drop_one_default),
    ]
