"""Several currencies: `coins` is created as the default, and every existing product is priced
in it (0004 makes the price currency required)."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

def create_coins(apps, schema_editor):
    Currency = apps.get_model("catalog", "Currency")
    Product = apps.get_model("catalog", "Product")
    coins, _ = Currency.objects.get_or_create(
        code="coins", defaults={"name": "Coins", "is_default": True}
    )
    Product.objects.filter(price_currency__isnull=True).update(price_currency=coins)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_product_price_max")]

    operations = [
        migrations.CreateModel(
            name="Currency",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(help_text="How the API names it (coins, gems): lowercase, never changed once used.", max_length=32, unique=True, validators=[django.core.validators.RegexValidator("^[a-z][a-z0-9_-]*$", "Lowercase letters, digits, - and _.")])),
                ("name", models.CharField(max_length=100)),
                ("initial_grant", models.PositiveBigIntegerField(default=0, help_text="Given once, from faucet:grants, when a player's wallet in it opens.")),
                ("max_balance", models.PositiveBigIntegerField(blank=True, help_text="The most a player may hold; empty for no limit.", null=True)),
                ("is_active", models.BooleanField(default=True, help_text="Inactive: listed nowhere, and no new wallet opens in it.")),
                ("is_default", models.BooleanField(default=False, help_text="The currency of `balance` and of requests that name none. Exactly one.")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name_plural": "currencies",
                "ordering": ["id"],
                "constraints": [
                    models.UniqueConstraint(condition=models.Q(("is_default", True)), fields=("is_default",), name="currency_one_default", violation_error_message="Another currency is already the default."),
                    models.CheckConstraint(condition=models.Q(("max_balance__isnull", True), models.Q(("initial_grant__lte", models.F("max_balance")), ("max_balance__gt", 0)), _connector="OR"), name="currency_grant_within_max", violation_error_message="The maximum balance must be positive and cover the initial grant."),
                    models.CheckConstraint(condition=models.Q(("is_default", False), ("is_active", True), _connector="OR"), name="currency_default_is_active", violation_error_message="The default currency must be active."),
                ],
            },
        ),
        migrations.AddField(
            model_name="product",
            name="price_currency",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="products", to="catalog.currency", verbose_name="currency"),
        ),
        migrations.RunPython(create_coins, migrations.RunPython.noop),
    ]
