from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from economy.accounts import services
from economy.accounts.management.support import USER_HELP, to_json, user_or_error
from economy.accounts.permissions import is_trusted


class Command(BaseCommand):
    help = (
        "Issue a new API token for a user and print it once (only its digest is stored): a "
        "service account's lasts ECONOMY_SERVICE_TOKEN_TTL_DAYS (0: until revoked), anyone "
        "else's ECONOMY_TOKEN_TTL_HOURS. Its other tokens keep working: rotate a backend's "
        "key by issuing, deploying the new one, then revoking the old (revoke_legacy_tokens, "
        "or the admin's Accounts > API tokens)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("user", help=USER_HELP)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_or_error(options["user"])
        ttl = services.service_token_ttl() if is_trusted(user) else services.player_token_ttl()
        token, key = services.issue_token(user=user, ttl=ttl)
        if options["json"]:
            self.stdout.write(
                to_json(
                    {"id": user.pk, "username": user.username, "token": key, "expiry": token.expiry}
                )
            )
            return
        expiry = token.expiry.isoformat() if token.expiry else "never"
        self.stdout.write(f"Token for {user.username!r} (id {user.pk}), expires {expiry}.")
        self.stdout.write(f"Token (shown once): {key}")
