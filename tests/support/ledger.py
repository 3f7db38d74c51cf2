"""Assertions on the books."""

from economy.accounts.models import User
from economy.catalog.models import Product
from economy.common.models import IdempotencyRecord
from economy.inventory.models import InventoryItem
from economy.ledger.models import Transaction
from economy.ledger.selectors import ledger_drift


def assert_ledger_consistent():
    """For every user: balance == completed credits - completed debits in the ledger."""
    drift = [(u.username, u.balance, u.ledger_total) for u in ledger_drift()]
    assert drift == [], f"balance differs from the ledger (user, balance, ledger): {drift}"


def snapshot():
    """Everything a request could change: row counts and every balance and holding."""
    return {
        "users": sorted(User.objects.values_list("pk", "balance", "is_staff", "is_superuser")),
        "products": sorted(Product.objects.values_list("pk", "price", "is_active", "type")),
        "inventory": sorted(InventoryItem.objects.values_list("user_id", "product_id", "quantity")),
        "transactions": Transaction.objects.count(),
        "idempotency_keys": IdempotencyRecord.objects.count(),
    }
