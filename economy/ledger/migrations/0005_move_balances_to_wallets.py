"""The single-entry ledger becomes double-entry: every user's balance moves into a `coins`
wallet, and every existing ledger row names its currency and the two wallets it moved currency
between, by kind (deposit: faucet:deposits -> player; purchase: player -> sink:store; refund:
sink:store -> player; adjustment: faucet:grants -> player). Each player wallet then holds what
its rows say, exactly as the user's balance did, so `reconcile_ledger` is clean right after.

Each step is one UPDATE over the ledger, whatever its size. Backwards, the coins balances go
back to the users.
"""

from django.db import migrations
from django.db.models import OuterRef, Q, Subquery

SYSTEM_WALLETS = (
    "faucet:deposits",
    "faucet:grants",
    "faucet:rewards",
    "sink:store",
    "sink:spend",
    "sink:corrections",
    "escrow:holds",
)
PLAYER = None  # the row's own user's wallet
SIDES = {
    "deposit": ("faucet:deposits", PLAYER),
    "purchase": (PLAYER, "sink:store"),
    "refund": ("sink:store", PLAYER),
    "adjustment": ("faucet:grants", PLAYER),
}


def forwards(apps, schema_editor):
    Currency = apps.get_model("catalog", "Currency")
    Transaction = apps.get_model("ledger", "Transaction")
    User = apps.get_model("accounts", "User")
    Wallet = apps.get_model("ledger", "Wallet")

    coins = Currency.objects.get(is_default=True)
    system = {
        name: Wallet.objects.get_or_create(owner=None, name=name, currency=coins)[0]
        for name in SYSTEM_WALLETS
    }
    holders = User.objects.filter(Q(balance__gt=0) | Q(transactions__isnull=False)).distinct()
    Wallet.objects.bulk_create(
        (
            Wallet(owner_id=pk, currency=coins, balance=balance)
            for pk, balance in holders.values_list("pk", "balance").iterator()
        ),
        batch_size=5000,
    )
    own_wallet = Subquery(
        Wallet.objects.filter(owner_id=OuterRef("user_id"), currency=coins).values("pk")[:1]
    )
    for kind, (debit, credit) in SIDES.items():
        Transaction.objects.filter(kind=kind, currency__isnull=True).update(
            currency=coins,
            debit_wallet=system[debit] if debit else own_wallet,
            credit_wallet=system[credit] if credit else own_wallet,
        )


def backwards(apps, schema_editor):
    Transaction = apps.get_model("ledger", "Transaction")
    User = apps.get_model("accounts", "User")
    Wallet = apps.get_model("ledger", "Wallet")

    coins_balance = Subquery(
        Wallet.objects.filter(owner_id=OuterRef("pk"), currency__is_default=True).values(
            "balance"
        )[:1]
    )
    User.objects.filter(wallets__isnull=False).update(balance=coins_balance)
    Transaction.objects.update(currency=None, debit_wallet=None, credit_wallet=None)
    Wallet.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("catalog", "0004_price_currency_required"),
        ("ledger", "0004_wallets"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
