"""A user's balance lives in its ledger wallets now (ledger/0005 moved it there)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("ledger", "0005_move_balances_to_wallets"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [
                    ("add_funds", "Trusted backend: may credit and charge players' wallets")
                ]
            },
        ),
        migrations.RemoveConstraint(model_name="user", name="user_balance_gte_0"),
        migrations.RemoveField(model_name="user", name="balance"),
    ]
