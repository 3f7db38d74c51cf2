from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from economy.accounts.management.support import USER_HELP, to_json, user_or_error
from economy.common.exceptions import DomainError
from economy.ledger import services


class Command(BaseCommand):
    help = (
        "Credit a user's balance by hand: a completed `adjustment` in the ledger with the reason "
        "(and the staff member, with --staff). Same limits as the API (1..ECONOMY_MAX_DEPOSIT). "
        "Exit 0 on success, 1 with one line on stderr on error."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("user", help=USER_HELP)
        parser.add_argument("amount", help="whole units of currency, 1..ECONOMY_MAX_DEPOSIT")
        parser.add_argument("--reason", required=True, help="why (kept in the ledger)")
        parser.add_argument("--staff", help="the staff member responsible (id, username, email)")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_or_error(options["user"])
        staff = user_or_error(options["staff"]) if options["staff"] else None
        try:
            amount = int(options["amount"])
        except ValueError:
            raise CommandError("The amount must be an integer.") from None
        try:
            change = services.grant_funds(
                user_id=user.pk, amount=amount, reason=options["reason"], staff=staff
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(
                to_json(
                    {
                        "user_id": user.pk,
                        "username": user.username,
                        "transaction_id": change.transaction.pk,
                        "amount": change.transaction.amount,
                        "balance": change.balance,
                    }
                )
            )
            return
        self.stdout.write(
            f"Granted {change.transaction.amount} to {user.username} (id {user.pk}): balance "
            f"{change.balance}, transaction #{change.transaction.pk}."
        )
