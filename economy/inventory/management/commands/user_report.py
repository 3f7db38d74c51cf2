from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from economy.accounts.management.support import USER_HELP, to_json, user_or_error
from economy.inventory.selectors import inventory_for_user
from economy.ledger.models import HoldStatus
from economy.ledger.selectors import history, holds_of, player_wallets

LATEST = 20


class Command(BaseCommand):
    help = (
        f"Show a user: its wallets (balance, held, available per currency), open holds, "
        f"inventory and the last {LATEST} transactions. "
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
                "currency": row.currency.code,
                "from": row.debit_wallet.label,
                "to": row.credit_wallet.label,
                "product": row.product.name if row.product is not None else None,
                "quantity": row.quantity,
                "unit_price": row.unit_price,
                "reason": row.reason or row.failure_reason,
            }
            for row in history(user_id=user.pk, size=LATEST)
        ]
        report: dict[str, Any] = {
            "user": {
                "id": user.pk,
                "username": user.username,
                "email": user.email,
                "is_active": user.is_active,
            },
            "wallets": [
                {
                    "currency": wallet.currency.code,
                    "balance": wallet.balance,
                    "held": wallet.held,
                    "available": wallet.available,
                }
                for wallet in player_wallets(user_id=user.pk)
            ],
            "open_holds": [
                {
                    "id": hold.pk,
                    "currency": hold.wallet.currency.code,
                    "amount": hold.amount,
                    "destination": hold.destination.label,
                    "expires_at": hold.expires_at,
                    "on_expiry": hold.on_expiry,
                    "reference": hold.reference,
                }
                for hold in holds_of(user_id=user.pk, status=HoldStatus.PENDING, size=LATEST)
            ],
            "inventory": [
                {
                    "product": item["product"]["name"],
                    "type": kind,
                    # A permanent is held once: the API lists it without a quantity.
                    "quantity": item.get("quantity", 1),
                    "price": f"{item['product']['price']} {item['product']['currency']}",
                    "expires_at": item.get("expires_at"),
                    "active_until": item.get("active_until"),
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
        self.stdout.write("Wallets:")
        if not report["wallets"]:
            self.stdout.write("  (none opened)")
        for wallet in report["wallets"]:
            held = (
                f", {wallet['held']} held, {wallet['available']} available"
                if wallet["held"]
                else ""
            )
            self.stdout.write(f"  {wallet['currency']:<10} {wallet['balance']:>10}{held}")
        self.stdout.write("Open holds:")
        if not report["open_holds"]:
            self.stdout.write("  (none)")
        for hold in report["open_holds"]:
            reference = f" — {hold['reference']}" if hold["reference"] else ""
            self.stdout.write(
                f"  #{hold['id']} {hold['amount']:>8} {hold['currency']:<8} -> "
                f"{hold['destination']}, {hold['on_expiry']} at "
                f"{hold['expires_at']:%Y-%m-%d %H:%M:%S}{reference}"
            )
        self.stdout.write("Inventory:")
        for item in report["inventory"] or [None]:
            if item is None:
                self.stdout.write("  (empty)")
            else:
                until = (
                    f", until {item['expires_at']}"
                    if item["expires_at"]
                    else f", active until {item['active_until']}"
                    if item["active_until"]
                    else ""
                )
                self.stdout.write(
                    f"  {item['quantity']:>5} x {item['product']} ({item['type']}, "
                    f"{item['price']}{until})"
                )
        self.stdout.write(f"Last {LATEST} transactions:")
        if not report["transactions"]:
            self.stdout.write("  (none)")
        for row in report["transactions"]:
            product = f" {row['quantity']} x {row['product']}" if row["product"] else ""
            note = f" — {row['reason']}" if row["reason"] else ""
            self.stdout.write(
                f"  #{row['id']} {row['created_at']:%Y-%m-%d %H:%M:%S} {row['kind']:<10} "
                f"{row['status']:<9} {row['amount']:>8} {row['currency']:<8} "
                f"{row['from']} -> {row['to']}{product}{note}"
            )
