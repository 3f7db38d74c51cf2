"""Admin pages that show several apps at once: users with their inventory and ledger, the
ledger with its refund action, and products with their recent purchases."""

from . import products, transactions, users

__all__ = ["products", "transactions", "users"]
