from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from economy.accounts.management.support import USER_HELP, to_json, user_or_error
from economy.catalog import selectors as catalog
from economy.catalog.models import Currency
from economy.common.exceptions import DomainError
from economy.ledger import services


class Command(BaseCommand):
    help = (
        "Correct a player's balance by hand: a completed `adjustment` in the ledger with the "
        "reason (and the staff member, with --staff). A positive amount is granted from "
        "faucet:grants, a negative one taken back into sink:corrections (never below what the "
        "player has available). At most ECONOMY_MAX_DEPOSIT either way. Exit 0 on success, 1 "
        "with one line on stderr on error."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("user", help=USER_HELP)
        parser.add_argument("amount", help="whole units; negative to take currency back")
        parser.add_argument("--currency", help="the currency's code (default: the default one)")
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
            currency = catalog.get_currency(options["currency"])
        except Currency.DoesNotExist:
            raise CommandError(f"No active currency {options['currency']!r}.") from None
        try:
            change = services.adjust_balance(
                user_id=user.pk,
                amount=amount,
                currency=currency,
                reason=options["reason"],
                staff=staff,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        wallet = change.wallet
        if options["json"]:
            self.stdout.write(
                to_json(
                    {
                        "user_id": user.pk,
                        "username": user.username,
                        "transaction_id": change.transaction.pk,
                        "currency": currency.code,
                        "amount": amount,
                        "balance": wallet.balance,
                        "available": wallet.available,
                    }
                )
            )
            return
        self.stdout.write(
            f"Adjusted {user.username} (id {user.pk}) by {amount:+d} {currency.code}: balance "
            f"{wallet.balance}, transaction #{change.transaction.pk}."
        )
