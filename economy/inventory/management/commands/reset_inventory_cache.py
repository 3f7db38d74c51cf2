from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from economy.accounts.management.support import USER_HELP, user_or_error
from economy.inventory import cache


class Command(BaseCommand):
    help = (
        "Make cached inventories stale: every user's at once (one cache write, whatever the "
        "number of users), or one user's with --user. The next read rebuilds from the database."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", help=f"reset only this user's cache ({USER_HELP})")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["user"]:
            user = user_or_error(options["user"])
            cache.invalidate(user.pk)
            self.stdout.write(f"Inventory cache reset for {user.username} (id {user.pk}).")
            return
        cache.reset_all()
        self.stdout.write("Inventory cache reset for every user.")
