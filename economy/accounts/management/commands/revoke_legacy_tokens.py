from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from economy.accounts import services
from economy.accounts.management.support import USER_HELP, to_json, user_or_error


class Command(BaseCommand):
    help = (
        "Delete legacy API keys (DRF authtoken: stored in clear, never expiring), every one or "
        "one user's. Their clients get 401 at once and sign in again for a hashed token; issue "
        "a service account its new token first (issue_token). See docs/identity.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", help=f"only this user's key: {USER_HELP}")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_or_error(options["user"]) if options["user"] else None
        deleted = services.revoke_legacy_tokens(user=user)
        if options["json"]:
            self.stdout.write(to_json({"revoked": deleted}))
            return
        self.stdout.write(f"Revoked {deleted} legacy key{'s' if deleted != 1 else ''}.")
