from argparse import ArgumentParser
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from economy.accounts.management.support import USER_HELP, to_json, user_or_error
from economy.accounts.models import User
from economy.ledger.selectors import users_with_ledger_balance

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _LedgerTotal(TypedDict):
        ledger_total: int

    # A user as users_with_ledger_balance annotates it.
    UserWithLedgerTotal = WithAnnotations[User, _LedgerTotal]


class Command(BaseCommand):
    help = (
        "Check that every user's balance equals the sum of their completed ledger rows. Reads "
        "users in batches by id (keyset pagination), so memory stays flat whatever their number. "
        "Prints one line per drifting user; exit 0 when the books are right, 1 on any drift."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", help=f"check only this user ({USER_HELP})")
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="users per query (default 1000)"
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        users = User.objects.all()
        if options["user"]:
            users = users.filter(pk=user_or_error(options["user"]).pk)
        checked, drift = 0, []
        for user in self._each_user(users, options["batch_size"]):
            checked += 1
            if user.balance != user.ledger_total:
                drift.append(
                    {
                        "user_id": user.pk,
                        "username": user.username,
                        "balance": user.balance,
                        "ledger": user.ledger_total,
                        "difference": user.balance - user.ledger_total,
                    }
                )
                if not options["json"]:
                    self.stdout.write(
                        f"DRIFT user {user.username} (id {user.pk}): balance {user.balance}, "
                        f"ledger {user.ledger_total}, difference "
                        f"{user.balance - user.ledger_total:+d}"
                    )
        if options["json"]:
            self.stdout.write(to_json({"checked": checked, "drift": drift}))
        if drift:
            raise CommandError(f"{len(drift)} of {checked} user(s) drift from the ledger.")
        if not options["json"]:
            self.stdout.write(f"OK: {checked} user(s) checked, balances match the ledger.")

    @staticmethod
    def _each_user(users: QuerySet[User], batch_size: int) -> Iterator["UserWithLedgerTotal"]:
        """Users with `ledger_total`, one query per batch: balance and ledger sum are read in
        the same statement, so a concurrent purchase never shows up as a false drift."""
        last_id = 0
        while True:
            batch = list(
                users_with_ledger_balance(users.filter(pk__gt=last_id).order_by("pk"))[:batch_size]
            )
            # Each carries ledger_total, which the selector's declared QuerySet[User] leaves out.
            yield from cast("list[UserWithLedgerTotal]", batch)
            if len(batch) < batch_size:
                return
            last_id = batch[-1].pk
