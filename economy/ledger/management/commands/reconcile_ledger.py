from argparse import ArgumentParser
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from economy.accounts.management.support import USER_HELP, to_json, user_or_error
from economy.ledger.models import Wallet
from economy.ledger.selectors import currency_sums, wallets_with_ledger_totals


class Command(BaseCommand):
    help = (
        "Check the books: every player wallet's balance equals its completed credits minus its "
        "completed debits, and its held equals both its pending ledger rows and what its pending "
        "holds reserve; and every currency sums to 0 "
        "over all wallets, players' and system ones (whose balances are derived from the "
        "ledger). Reads wallets in batches by id, so memory stays flat whatever their number. "
        "Prints one line per drift; exit 0 when the books are right, 1 on any drift."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", help=f"check only this user's wallets ({USER_HELP})")
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="wallets per query (default 1000)"
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        wallets = Wallet.objects.filter(owner__isnull=False)
        if options["user"]:
            wallets = wallets.filter(owner=user_or_error(options["user"]))
        checked, drift = 0, []
        for wallet in self._each_wallet(wallets, options["batch_size"]):
            checked += 1
            totals: Any = wallet  # annotated by wallets_with_ledger_totals
            ledger_balance, ledger_held = totals.ledger_balance, totals.ledger_held
            pending_holds = totals.pending_holds
            if (wallet.balance, wallet.held, wallet.held) != (
                ledger_balance,
                ledger_held,
                pending_holds,
            ):
                drift.append(
                    {
                        "wallet_id": wallet.pk,
                        "user_id": wallet.owner_id,
                        "username": wallet.owner.username if wallet.owner else None,
                        "currency": wallet.currency.code,
                        "balance": wallet.balance,
                        "ledger_balance": ledger_balance,
                        "held": wallet.held,
                        "ledger_held": ledger_held,
                        "pending_holds": pending_holds,
                    }
                )
        # A single player's wallets say nothing about a currency's total.
        sums = {} if options["user"] else currency_sums()
        unbalanced = {code: total for code, total in sums.items() if total != 0}
        if options["json"]:
            self.stdout.write(
                to_json(
                    {
                        "checked": checked,
                        "drift": drift,
                        "currency_sums": sums,
                        "unbalanced_currencies": unbalanced,
                    }
                )
            )
        else:
            for row in drift:
                self.stdout.write(
                    f"DRIFT wallet {row['wallet_id']} of {row['username']} (id {row['user_id']}, "
                    f"{row['currency']}): balance {row['balance']}, ledger {row['ledger_balance']}"
                    f" ({row['balance'] - row['ledger_balance']:+d}); held {row['held']}, "
                    f"pending ledger rows {row['ledger_held']}, pending holds "
                    f"{row['pending_holds']}"
                )
            for code, total in unbalanced.items():
                self.stdout.write(f"DRIFT currency {code}: the wallets sum to {total:+d}, not 0")
        if drift or unbalanced:
            raise CommandError(
                f"{len(drift)} of {checked} wallet(s) drift from the ledger; "
                f"{len(unbalanced)} currency(ies) do not sum to 0."
            )
        if not options["json"]:
            self.stdout.write(
                f"OK: {checked} wallet(s) match the ledger, and {len(sums)} currency(ies) sum to 0."
            )

    @staticmethod
    def _each_wallet(wallets: QuerySet[Wallet], batch_size: int) -> Iterator[Wallet]:
        """Wallets with their ledger totals, one query per batch: balance and ledger sums are
        read in the same statement, so a concurrent movement never shows up as a false drift."""
        last_id = 0
        while True:
            batch = list(
                wallets_with_ledger_totals(wallets.filter(pk__gt=last_id).order_by("pk"))[
                    :batch_size
                ]
            )
            yield from batch
            if len(batch) < batch_size:
                return
            last_id = batch[-1].pk
