"""Admin pages that show several apps at once or act through services: users with their
inventory, open holds and ledger, the ledger with its refund action, holds with their void
action, and products with their recent purchases."""

from . import holds, products, transactions, users

__all__ = ["holds", "products", "transactions", "users"]
