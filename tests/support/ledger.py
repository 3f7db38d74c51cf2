"""Assertions on the books, and what a test reads of them."""

from economy.accounts.models import User
from economy.catalog.models import Currency, Product
from economy.common.models import IdempotencyRecord
from economy.events.models import Event
from economy.inventory.models import InventoryItem
from economy.ledger.models import Hold, Transaction, Wallet
from economy.ledger.selectors import currency_sums, system_balances, wallet_drift


def balance_of(user: User, currency: str | None = None) -> int:
    """The player's balance in `currency` (the default one when None); 0 before its wallet
    opened."""
    currency_row = (
        Currency.objects.get(code=currency) if currency else Currency.objects.get(is_default=True)
    )
    wallet = Wallet.objects.filter(owner=user, currency=currency_row).first()
    return wallet.balance if wallet else 0


def assert_ledger_consistent():
    """Every player wallet holds what its ledger rows say, and every currency sums to 0."""
    drift = [
        (
            w.owner.username,
            w.currency.code,
            w.balance,
            w.ledger_balance,
            w.held,
            w.ledger_held,
            w.pending_holds,
        )
        for w in wallet_drift()
    ]
    assert drift == [], (
        "wallets differ from the ledger (user, currency, balance, ledger balance, held, "
        f"pending rows, pending holds): {drift}"
    )
    unbalanced = {code: total for code, total in currency_sums().items() if total}
    assert unbalanced == {}, f"currencies that do not sum to 0: {unbalanced}"


def snapshot():
    """Everything a request could change: row counts and every balance and holding."""
    return {
        "users": sorted(User.objects.values_list("pk", "is_staff", "is_superuser")),
        "wallets": sorted(Wallet.objects.values_list("pk", "owner_id", "balance", "held")),
        "products": sorted(Product.objects.values_list("pk", "price", "is_active", "type")),
        "inventory": sorted(InventoryItem.objects.values_list("user_id", "product_id", "quantity")),
        "transactions": Transaction.objects.count(),
        "idempotency_keys": IdempotencyRecord.objects.count(),
        "holds": sorted(Hold.objects.values_list("pk", "status")),
        "events": Event.objects.count(),
    }


def backdated_purchase(user: User, product: Product, created_at, quantity: int = 1):
    """A completed purchase row of `quantity` units at the product's price, dated `created_at`:
    the ledger side of purchase_product only (no inventory), for tests of time windows. Ledger
    rows are append-only, so a row is dated when it is written rather than moved later."""
    from django.db import transaction

    from economy.ledger import services
    from economy.ledger.models import Kind, SystemWallet

    with transaction.atomic():
        wallet = services.lock_wallet(user_id=user.pk, currency=product.price_currency)
        return services.post(
            debit=wallet,
            credit=services.system_wallet(SystemWallet.STORE, product.price_currency),
            amount=product.price * quantity,
            kind=Kind.PURCHASE,
            product=product,
            quantity=quantity,
            unit_price=product.price,
            created_at=created_at,
        )


def wallet_of(user: User, currency: str | None = None) -> Wallet | None:
    """The player's wallet in `currency` (the default one when None), fresh from the database;
    None before it opened."""
    which = {"currency__code": currency} if currency else {"currency__is_default": True}
    return Wallet.objects.filter(owner=user, **which).select_related("currency").first()


def system_balance(name: str, currency: str | None = None) -> int:
    """A system wallet's balance ("sink:store"), as the ledger derives it: negative for a
    faucet that issued, positive for a sink that absorbed; 0 before any movement."""
    code = currency or Currency.objects.get(is_default=True).code
    return system_balances().get((code, name), 0)
