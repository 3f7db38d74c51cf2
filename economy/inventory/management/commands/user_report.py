from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from economy.accounts.management.support import USER_HELP, to_json, user_or_error
from economy.inventory.selectors import inventory_for_user
from economy.ledger.selectors import transactions_for_user

LATEST = 20


class Command(BaseCommand):
    help = (
        f"Show a user: balance, inventory and the last {LATEST} transactions. "
        "--json prints the same as one JSON document."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("user", help=USER_HELP)
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_or_error(options["user"])
        inventory = inventory_for_user(user_id=user.pk)
        transactions = [
            {
                "id": row.pk,
                "created_at": row.created_at,
                "kind": row.kind,
                "status": row.status,
                "amount": row.amount,
                "product": row.product.name if row.product is not None else None,
                "quantity": row.quantity,
                "unit_price": row.unit_price,
                "reason": row.reason or row.failure_reason,
            }
            for row in transactions_for_user(user_id=user.pk)[:LATEST]
        ]
        report: dict[str, Any] = {
            "user": {
                "id": user.pk,
                "username": user.username,
                "email": user.email,
                "is_active": user.is_active,
                "balance": user.balance,
            },
            "inventory": [
                {
                    "product": item["product"]["name"],
                    "type": kind,
                    # A permanent is held once: the API lists it without a quantity.
                    "quantity": item.get("quantity", 1),
                }
                for kind, items in (
                    ("consumable", inventory["consumables"]),
                    ("permanent", inventory["permanents"]),
                )
                for item in items
            ],
            "transactions": transactions,
        }
        if options["json"]:
            self.stdout.write(to_json(report))
            return
        self._print(report)

    def _print(self, report: dict[str, Any]) -> None:
        user = report["user"]
        active = "" if user["is_active"] else " (inactive)"
        self.stdout.write(f"User {user['username']} (id {user['id']}, {user['email']}){active}")
        self.stdout.write(f"Balance: {user['balance']}")
        self.stdout.write("Inventory:")
        for item in report["inventory"] or [None]:
            if item is None:
                self.stdout.write("  (empty)")
            else:
                self.stdout.write(f"  {item['quantity']:>5} x {item['product']} ({item['type']})")
        self.stdout.write(f"Last {LATEST} transactions:")
        if not report["transactions"]:
            self.stdout.write("  (none)")
        for row in report["transactions"]:
            product = f" {row['quantity']} x {row['product']}" if row["product"] else ""
            note = f" — {row['reason']}" if row["reason"] else ""
            self.stdout.write(
                f"  #{row['id']} {row['created_at']:%Y-%m-%d %H:%M:%S} {row['kind']:<10} "
                f"{row['status']:<9} {row['amount']:>8}{product}{note}"
            )
