"""Every currency's named system wallets exist from the start (ledger.services
.open_system_wallets does it for a new one), so that no movement creates one while it holds a
player wallet's lock."""

from django.db import migrations

NAMES = (
    "faucet:deposits",
    "faucet:grants",
    "faucet:rewards",
    "sink:store",
    "sink:spend",
    "sink:corrections",
    "escrow:holds",
)


def open_system_wallets(apps, schema_editor):
    Currency = apps.get_model("catalog", "Currency")
    Wallet = apps.get_model("ledger", "Wallet")
    for currency in Currency.objects.all():
        for name in NAMES:
            Wallet.objects.get_or_create(owner=None, name=name, currency=currency)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_holds")]

    # Reversing keeps them: ledger rows may name them by then.
    operations = [migrations.RunPython(open_system_wallets, migrations.RunPython.noop)]
