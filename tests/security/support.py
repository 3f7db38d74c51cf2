"""Assertions shared by the security tests."""

from economy.accounts.models import User
from economy.catalog.models import Product
from economy.common.models import IdempotencyRecord
from economy.inventory.models import InventoryItem
from economy.ledger.models import Transaction


def assert_error(response, status, code=None):
    """The contract's error shape: {"error": {"code", "message", "details"}}, JSON."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def snapshot():
    """Everything a request could change: row counts and every balance and holding."""
    return {
        "users": sorted(User.objects.values_list("pk", "balance", "is_staff", "is_superuser")),
        "products": sorted(Product.objects.values_list("pk", "price", "is_active", "type")),
        "inventory": sorted(InventoryItem.objects.values_list("user_id", "product_id", "quantity")),
        "transactions": Transaction.objects.count(),
        "idempotency_keys": IdempotencyRecord.objects.count(),
    }
