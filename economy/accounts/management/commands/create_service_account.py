from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from economy.accounts import services
from economy.accounts.management.support import to_json
from economy.accounts.models import User


class Command(BaseCommand):
    help = (
        "Create a trusted-backend account (e.g. the payments backend): a user holding the "
        "accounts.add_funds permission, with no usable password, and print its API token. "
        "The token is shown once (only its digest is stored); store it in the backend's "
        "secrets. It never expires unless ECONOMY_SERVICE_TOKEN_TTL_DAYS is set; support "
        "revokes it in the admin (Accounts > API tokens)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="username of the service account")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        username_field = User._meta.get_field("username")
        try:
            username_field.clean(name, None)
        except ValidationError as exc:
            raise CommandError(f"Invalid name {name!r}: {' '.join(exc.messages)}") from None
        permission = Permission.objects.get(
            content_type__app_label="accounts", codename="add_funds"
        )
        try:
            with transaction.atomic():
                user = User(username=name)
                user.set_unusable_password()
                user.save()
                user.user_permissions.add(permission)
                _, key = services.issue_token(user=user, ttl=services.service_token_ttl())
        except IntegrityError:
            raise CommandError(f"A user named {name!r} already exists.") from None
        if options["json"]:
            self.stdout.write(to_json({"id": user.pk, "username": name, "token": key}))
            return
        self.stdout.write(f"Service account {name!r} created (id {user.pk}).")
        self.stdout.write(f"Token (shown once): {key}")
