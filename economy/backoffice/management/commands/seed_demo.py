"""Load demo data: idempotent, so `make run` can call it every time."""

import secrets
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from economy.catalog import services as catalog_services
from economy.catalog.models import (
    Currency,
    CurrencyGrant,
    ItemGrant,
    LimitPeriod,
    Product,
    ProductType,
)
from economy.ledger import services as ledger
from economy.ledger.models import Kind, Transaction

User = get_user_model()

GEMS = {"code": "gems", "name": "Gems", "initial_grant": 10, "max_balance": 100_000}
PRODUCTS = [
    ("Буст на день", ProductType.CONSUMABLE, 100, "coins", "Double experience for 24 hours."),
    ("Премиум-статус", ProductType.PERMANENT, 500, "coins", "Premium status, forever."),
    ("Health potion", ProductType.CONSUMABLE, 25, "coins", "Restores health at once."),
    ("Extra life", ProductType.CONSUMABLE, 50, "coins", "One more try."),
    ("Golden skin", ProductType.PERMANENT, 1200, "coins", "A golden look for your hero."),
    ("Ad-free mode", ProductType.PERMANENT, 300, "coins", "No more ads."),
    ("Dragon egg", ProductType.CONSUMABLE, 5, "gems", "Hatches a companion. Priced in gems."),
    ("Premium pass (30 days)", ProductType.PERMANENT, 300, "coins", "Premium for 30 days."),
    ("Starter pack", ProductType.PERMANENT, 250, "coins", "100 gems and 3 boosts, once."),
    ("Welcome offer", ProductType.CONSUMABLE, 20, "coins", "5 health potions, one per player."),
    ("Weekend sale: extra lives", ProductType.CONSUMABLE, 120, "coins", "3 lives, 2 a day."),
]
# What the live-game features add to some of the products above, when they are created.
PRODUCT_RULES: dict[str, dict[str, Any]] = {
    "Буст на день": {"duration": timedelta(days=1)},
    "Premium pass (30 days)": {"duration": timedelta(days=30)},
    "Welcome offer": {"purchase_limit": 1, "limit_period": LimitPeriod.LIFETIME},
    "Weekend sale: extra lives": {
        "purchase_limit": 2,
        "limit_period": LimitPeriod.DAY,
        "available_until_in": timedelta(days=14),
    },
}
BUNDLES = {
    "Starter pack": {"currencies": {"gems": 100}, "items": {"Буст на день": 3}},
    "Welcome offer": {"currencies": {}, "items": {"Health potion": 5}},
    "Weekend sale: extra lives": {"currencies": {}, "items": {"Extra life": 3}},
}
DEMO_PLAYER = "demo"
# Opponents for the demo player's matches (no token: a game server acts for them).
DEMO_OPPONENTS = ("bob", "cara")
DEMO_BACKEND = "payments-demo"
DEMO_BALANCE = 1000
DEMO_GEMS = 50
ADMIN_USERNAME = "admin"


class Command(BaseCommand):
    help = (
        "Create demo data: the sample products (a starter pack, a 30-day premium pass, a "
        "one-day boost, a one-per-player offer, a weekend sale), a player 'demo' with a token and "
        f"{DEMO_BALANCE} coins and {DEMO_GEMS} gems (a second currency, with an initial "
        f"grant and a maximum), its opponents {' and '.join(DEMO_OPPONENTS)} with "
        f"{DEMO_BALANCE} coins each, a payments backend 'payments-demo' that may add funds, "
        "and a staff superuser 'admin' with a generated password. "
        "Safe to run again: nothing is created twice."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--token-only",
            action="store_true",
            help="Print only the demo player's token (for scripts: TOKEN=$(... --token-only)).",
        )
        parser.add_argument(
            "--backend-token-only",
            action="store_true",
            help="Print only the demo payments backend's token (it may add funds).",
        )
        parser.add_argument(
            "--ids-only",
            action="store_true",
            help="Print only the demo players' ids as shell assignments (DEMO=1 BOB=2 ...), "
            'for eval "$(... --ids-only)".',
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        gems, _ = Currency.objects.get_or_create(code=GEMS["code"], defaults=GEMS)
        currencies = {currency.code: currency for currency in Currency.objects.all()}
        created = self._catalog(currencies)

        player, player_created = User.objects.get_or_create(
            username=DEMO_PLAYER, defaults={"email": "demo@example.com"}
        )
        player_password = None
        if player_created:
            player_password = secrets.token_urlsafe(9)
            player.set_password(player_password)
            player.save(update_fields=["password"])
        self._grant(player, ((currencies["coins"], DEMO_BALANCE), (gems, DEMO_GEMS)))
        token, _ = Token.objects.get_or_create(user=player)
        players = {DEMO_PLAYER: player}
        for name in DEMO_OPPONENTS:
            players[name], _ = User.objects.get_or_create(
                username=name, defaults={"email": f"{name}@example.com"}
            )
            self._grant(players[name], ((currencies["coins"], DEMO_BALANCE),))

        backend, _ = User.objects.get_or_create(username=DEMO_BACKEND)
        backend.user_permissions.add(Permission.objects.get(codename="add_funds"))
        backend_token, _ = Token.objects.get_or_create(user=backend)

        admin_password = None
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            admin_password = secrets.token_urlsafe(12)
            User.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", admin_password)

        if options["ids_only"]:
            self.stdout.write(
                " ".join(f"{name.upper()}={user.pk}" for name, user in players.items())
            )
            return
        if options["token_only"] or options["backend_token_only"]:
            self.stdout.write(token.key if options["token_only"] else backend_token.key)
            return
        self.stdout.write(f"Products created: {created} (catalog holds {Product.objects.count()}).")
        self.stdout.write(f"Demo player '{DEMO_PLAYER}' (id {player.pk}) token: {token.key}")
        opponents = ", ".join(f"'{name}' (id {players[name].pk})" for name in DEMO_OPPONENTS)
        self.stdout.write(f"Its opponents: {opponents}.")
        self.stdout.write(f"Demo payments backend '{DEMO_BACKEND}' token: {backend_token.key}")
        if player_password:
            self.stdout.write(f"Demo player password: {player_password} (shown once).")
        if admin_password:
            self.stdout.write(
                f"Staff superuser '{ADMIN_USERNAME}' created; password: {admin_password} "
                "(shown once; reset it with `manage.py changepassword admin`)."
            )
        else:
            self.stdout.write(f"Staff superuser '{ADMIN_USERNAME}' already exists.")

    @staticmethod
    def _catalog(currencies: dict[str, Currency]) -> int:
        """The demo catalog, bundles with their contents; how many products were created."""
        created = 0
        for name, type_, price, code, description in PRODUCTS:
            rules = dict(PRODUCT_RULES.get(name, {}))
            if "available_until_in" in rules:
                rules["available_until"] = timezone.now() + rules.pop("available_until_in")
            _, was_created = Product.objects.get_or_create(
                name=name,
                defaults={
                    "type": type_,
                    "price": price,
                    "price_currency": currencies[code],
                    "description": description,
                    **rules,
                },
            )
            created += was_created
        for name, contents in BUNDLES.items():
            bundle = Product.objects.get(name=name)
            for code, amount in contents["currencies"].items():
                CurrencyGrant.objects.get_or_create(
                    bundle=bundle, currency=currencies[code], defaults={"amount": amount}
                )
            for item, quantity in contents["items"].items():
                ItemGrant.objects.get_or_create(
                    bundle=bundle,
                    product=Product.objects.get(name=item),
                    defaults={"quantity": quantity},
                )
        catalog_services.contents_changed()
        return created

    @staticmethod
    def _grant(player: Any, amounts: tuple[tuple[Currency, int], ...]) -> None:
        """The demo balance in each currency, granted once (a support adjustment)."""
        granted = Transaction.objects.filter(
            user=player, kind=Kind.ADJUSTMENT, reason="Demo balance"
        )
        for currency, amount in amounts:
            if not granted.filter(currency=currency).exists():
                ledger.adjust_balance(
                    user_id=player.pk, amount=amount, currency=currency, reason="Demo balance"
                )
