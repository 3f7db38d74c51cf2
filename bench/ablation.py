"""Each hand-written piece of the money path against its ORM form, in one process: the CPU per
request of a purchase and an add-funds through the WSGI application (django.test.Client), with
one piece at a time swapped back for what the ORM sends, then all of them. Blocks of requests
alternate between the variants, and each variant's figure is its fastest block, so that a noisy
machine slows them alike. docs/performance.md gives the latest figures.

    createdb -h 127.0.0.1 -U postgres economy_bench_ablation
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/economy_bench_ablation \\
    REDIS_URL=redis://127.0.0.1:6379/11 .venv/bin/python bench/ablation.py [--requests 300]

It runs the production settings (Redis cache, server-side binding) with rate limits off, and
writes only to the scratch database it is given (economy_bench*) and that Redis DB.
"""

import argparse
import json
import os
import secrets
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "economy_bench" not in os.environ.get("DATABASE_URL", ""):
    sys.exit("bench/ablation.py runs against a scratch database only (economy_bench*).")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.update(RATELIMIT_ENABLE="false", SECURE_SSL_REDIRECT="false", LOG_JSON="false")

import django

django.setup()

from django.contrib.auth.models import Permission  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import F, Q  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from economy.accounts.models import User  # noqa: E402
from economy.catalog.models import Currency, Product  # noqa: E402
from economy.inventory import locks as inventory_locks  # noqa: E402
from economy.inventory import statements as inventory_statements  # noqa: E402
from economy.inventory import views as inventory_views  # noqa: E402
from economy.inventory.models import InventoryItem  # noqa: E402
from economy.ledger import services as ledger  # noqa: E402
from economy.ledger import statements as ledger_statements  # noqa: E402
from economy.ledger import views as ledger_views  # noqa: E402
from economy.ledger.models import Wallet  # noqa: E402


# --- the ORM forms, as the code read before each piece was written by hand --------------------
def lock_through_the_orm(pairs):
    match = Q()
    for owner_id, currency_id in pairs:
        match |= Q(owner_id=owner_id, currency_id=currency_id)
    wallets = Wallet.objects.filter(match).order_by("pk")
    return list(wallets.select_for_update(no_key=True, of=("self",)))


def add_units_through_the_orm(*, user_id, product_id, quantity):
    item = inventory_locks.inventory_item_for_update(user_id=user_id, product_id=product_id)
    if item is None:
        InventoryItem.objects.create(user_id=user_id, product_id=product_id, quantity=quantity)
        return quantity
    InventoryItem.objects.filter(pk=item.pk).update(
        quantity=F("quantity") + quantity, updated_at=timezone.now()
    )
    return item.quantity + quantity


def serializer_per_request(serializer_class, instance):
    return serializer_class(instance).data


def system_wallet_looked_up(name, currency):
    wallet, _ = Wallet.objects.get_or_create(owner=None, name=name, currency=currency)
    return wallet


# piece -> the (module, attribute, ORM form) it swaps
PIECES = {
    "wallet lock (ledger/statements.py)": [
        (ledger_statements, "lock_player_wallets", lock_through_the_orm)
    ],
    "units' UPSERT (inventory/statements.py)": [
        (inventory_statements, "add_units", add_units_through_the_orm)
    ],
    "one output serializer (represent)": [
        (inventory_views, "represent", serializer_per_request),
        (ledger_views, "represent", serializer_per_request),
    ],
    "system wallet ids remembered": [(ledger, "system_wallet", system_wallet_looked_up)],
}
ORIGINALS = {
    (module, attribute): getattr(module, attribute)
    for swaps in PIECES.values()
    for module, attribute, _ in swaps
}
VARIANTS = ["as committed", *PIECES, "all through the ORM"]


def use(variant):
    for (module, attribute), original in ORIGINALS.items():
        setattr(module, attribute, original)
    pieces = list(PIECES) if variant == "all through the ORM" else [variant] * (variant in PIECES)
    for piece in pieces:
        for module, attribute, orm_form in PIECES[piece]:
            setattr(module, attribute, orm_form)


def world():
    call_command("migrate", verbosity=0, interactive=False)
    coins = Currency.objects.get(is_default=True)
    tag = uuid.uuid4().hex[:8]
    player = User.objects.create_user(f"ablation-{tag}")
    backend = User.objects.create_user(f"ablation-backend-{tag}")
    backend.user_permissions.add(Permission.objects.get(codename="add_funds"))
    with override_settings(ECONOMY_MAX_DEPOSIT=10**12):
        ledger.adjust_balance(user_id=player.pk, amount=10**11, currency=coins, reason="bench")
    potion = Product.objects.create(
        name=f"Potion {tag}", price=1, price_currency=coins, type="consumable"
    )

    def client(user):
        token = Token.objects.create(user=user).key
        return Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")

    buyer, payments = client(player), client(backend)

    def purchase():
        response = buyer.post(
            f"/api/v1/products/{potion.pk}/purchase", "{}", content_type="application/json"
        )
        assert response.status_code == 201, response.content

    def add_funds():
        response = payments.post(
            f"/api/v1/users/{player.pk}/add-funds",
            '{"amount": 1}',
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
        assert response.status_code == 201, response.content

    return {"purchase": purchase, "add-funds": add_funds}


def measure(request, requests, blocks):
    for variant in VARIANTS:  # warm every path, caches included
        use(variant)
        for _ in range(50):
            request()
    cpu = {variant: [] for variant in VARIANTS}
    for _ in range(blocks):
        for variant in VARIANTS:
            use(variant)
            start = time.process_time()
            for _ in range(requests):
                request()
            cpu[variant].append((time.process_time() - start) / requests * 1000)
    use("as committed")
    return {variant: min(figures) for variant, figures in cpu.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per block")
    parser.add_argument("--blocks", type=int, default=7, help="blocks per variant")
    args = parser.parse_args()
    results = {}
    for name, request in world().items():
        cpu = measure(request, args.requests, args.blocks)
        base = cpu["as committed"]
        print(f"\n{name}: CPU ms per request in this process (ratio to as committed)")
        for variant, ms in cpu.items():
            print(f"  {variant:<42} {ms:6.3f}  {ms / base:5.2f}")
        results[name] = cpu
    print(json.dumps(results))


if __name__ == "__main__":
    main()
