"""Admin pages that show several apps at once: users with their inventory and ledger, and the
ledger with its refund action."""

from . import transactions, users

__all__ = ["transactions", "users"]
