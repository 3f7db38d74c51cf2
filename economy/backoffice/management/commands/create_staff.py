import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from economy.accounts.management.support import to_json
from economy.backoffice.services import ROLES, create_staff
from economy.common.exceptions import InvalidInput


class Command(BaseCommand):
    help = (
        "Create a staff account for the admin in a role's group: content-manager (the catalog) "
        "or support (players, their ledger, grants and refunds). Prints a generated password "
        "once, or takes one from standard input with --password-stdin. Exit 0 on success, 1 "
        "with one line on stderr when refused."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLES))
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        password = sys.stdin.readline().rstrip("\n") if options["password_stdin"] else None
        try:
            user, password = create_staff(
                username=options["username"],
                role=options["role"],
                email=options["email"],
                password=password,
            )
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        shown = None if options["password_stdin"] else password
        if options["json"]:
            self.stdout.write(
                to_json(
                    {
                        "id": user.pk,
                        "username": user.username,
                        "role": options["role"],
                        "password": shown,
                    }
                )
            )
            return
        self.stdout.write(
            f"Staff account {user.username!r} created (id {user.pk}) as {options['role']}; "
            "log in at /admin/."
        )
        if shown:
            self.stdout.write(f"Password (shown once): {shown}")
