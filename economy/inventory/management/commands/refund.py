from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from economy.accounts.management.support import to_json, user_or_error
from economy.common.exceptions import DomainError
from economy.inventory import services
from economy.ledger.models import Transaction


class Command(BaseCommand):
    help = (
        "Refund a completed purchase, at most once. The units the player still holds (up to the "
        "number bought) are taken back and credited at the price paid: a consumable partly used "
        "is refunded pro rata, one fully used is refused. Exit 0 on success, 1 with one line on "
        "stderr when refused."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("transaction_id", help="id of the purchase transaction")
        parser.add_argument("--reason", required=True, help="why (kept in the ledger)")
        parser.add_argument("--staff", help="the staff member responsible (id, username, email)")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        transaction_id = options["transaction_id"]
        if not transaction_id.isdigit():
            raise CommandError(f"{transaction_id!r} is not a transaction id.")
        staff = user_or_error(options["staff"]) if options["staff"] else None
        try:
            refund = services.refund_purchase(
                transaction_id=int(transaction_id), reason=options["reason"], staff=staff
            )
        except Transaction.DoesNotExist:
            raise CommandError(f"No transaction #{transaction_id}.") from None
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(
                to_json(
                    {
                        "refund_id": refund.pk,
                        "purchase_id": refund.refund_of_id,
                        "user_id": refund.user_id,
                        "quantity": refund.quantity,
                        "amount": refund.amount,
                        "currency": refund.currency.code,
                    }
                )
            )
            return
        self.stdout.write(
            f"Refunded purchase #{refund.refund_of_id}: {refund.quantity} unit(s), "
            f"{refund.amount} {refund.currency.code} credited to user {refund.user_id} "
            f"(refund #{refund.pk})."
        )
