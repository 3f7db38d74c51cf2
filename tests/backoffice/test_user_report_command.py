import json
from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from economy.inventory.services import purchase_product
from economy.ledger import holds
from economy.ledger import services as ledger
from economy.ledger.models import Kind, Transaction
from economy.ledger.services import add_funds
from tests.factories import (
    CurrencyFactory,
    PermanentProductFactory,
    ProductFactory,
    UserFactory,
    default_currency,
)
from tests.support.commands import run, run_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    player = UserFactory(username="alice", funds=5000)
    potion, skin = ProductFactory(name="Potion", price=1), PermanentProductFactory(name="Skin")
    for _ in range(24):
        purchase_product(user_id=player.pk, product_id=potion.pk)
    purchase_product(user_id=player.pk, product_id=skin.pk)
    return player


def test_report_as_json_has_wallets_inventory_and_last_20_transactions(alice):
    report = json.loads(run("user_report", "alice@example.com", "--json"))

    assert report["user"] == {
        "id": alice.pk,
        "username": "alice",
        "email": "alice@example.com",
        "is_active": True,
    }
    assert report["wallets"] == [
        {"currency": "coins", "balance": 5000 - 24 - 500, "held": 0, "available": 5000 - 24 - 500}
    ]
    assert report["inventory"] == [
        {
            "product": "Potion",
            "type": "consumable",
            "quantity": 24,
            "price": "1 coins",
            "expires_at": None,
            "active_until": None,
        },
        {
            "product": "Skin",
            "type": "permanent",
            "quantity": 1,
            "price": "500 coins",
            "expires_at": None,
            "active_until": None,
        },
    ]
    latest = list(Transaction.objects.filter(user=alice).values_list("pk", flat=True)[:20])
    assert [row["id"] for row in report["transactions"]] == latest
    newest = report["transactions"][0]
    assert (newest["product"], newest["kind"], newest["amount"], newest["currency"]) == (
        "Skin",
        "purchase",
        500,
        "coins",
    )
    assert (newest["from"], newest["to"]) == (f"player:{alice.pk}", "sink:store")


def test_the_report_shows_what_another_player_paid_to_this_one(alice):
    bob = UserFactory(username="bob", funds=100)
    with transaction.atomic():
        wallets = ledger.lock_wallets(
            [(bob.pk, default_currency()), (alice.pk, default_currency())]
        )
        gift = ledger.post(
            debit=wallets[bob.pk, default_currency().pk],
            credit=wallets[alice.pk, default_currency().pk],
            amount=7,
            kind=Kind.TRANSFER,
            reason="A gift",
        )

    report = json.loads(run("user_report", "alice", "--json"))

    newest = report["transactions"][0]
    assert (newest["id"], newest["from"], newest["to"]) == (
        gift.pk,
        f"player:{bob.pk}",
        f"player:{alice.pk}",
    )
    assert report["wallets"][0]["balance"] == 5000 - 24 - 500 + 7


def test_report_as_text(alice):
    gems = CurrencyFactory(code="gems")
    add_funds(user_id=alice.pk, amount=9, currency=gems)
    out = run("user_report", str(alice.pk))
    lines = out.splitlines()
    assert lines[0] == f"User alice (id {alice.pk}, alice@example.com)"
    wallets = lines.index("Wallets:")
    assert lines[wallets + 1].split() == ["coins", str(5000 - 24 - 500)]
    assert lines[wallets + 2].split() == ["gems", "9"]
    assert "24 x Potion (consumable, 1 coins)" in out
    assert out.count("purchase") == 19
    assert out.count(f"player:{alice.pk} -> sink:store") == 19
    assert f"deposit    completed        9 gems     faucet:deposits -> player:{alice.pk}" in out


def test_report_of_a_user_with_nothing(db):
    UserFactory(username="bob")
    out = run("user_report", "bob")
    assert "Wallets:\n  (none opened)" in out
    assert "(empty)" in out
    assert "(none)" in out


def test_unknown_user_is_an_error(db):
    with pytest.raises(CommandError, match="No user matches 'ghost'"):
        run("user_report", "ghost")


@pytest.mark.django_db(transaction=True)
def test_exit_status(db):
    UserFactory(username="bob")
    assert run_process("user_report", "bob", "--json").returncode == 0
    missing = run_process("user_report", "ghost")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        "CommandError: No user matches 'ghost' (give an id, username or email)."
    ]


def test_the_report_lists_open_holds(alice):
    expires_at = timezone.now() + timedelta(hours=1)
    coins = default_currency()
    kept = holds.place_hold(
        user_id=alice.pk, amount=300, currency=coins, expires_at=expires_at, reference="cup 3"
    ).hold
    ended = holds.place_hold(user_id=alice.pk, amount=5, currency=coins, expires_at=expires_at)
    holds.void_hold(hold_id=ended.hold.pk)

    report = json.loads(run("user_report", "alice", "--json"))
    assert report["open_holds"] == [
        {
            "id": kept.pk,
            "currency": "coins",
            "amount": 300,
            "destination": "sink:spend",
            "expires_at": DjangoJSONEncoder().default(kept.expires_at),
            "on_expiry": "void",
            "reference": "cup 3",
        }
    ]
    assert report["wallets"][0]["held"] == 300
    text = run("user_report", "alice")
    assert "Open holds:" in text
    assert f"#{kept.pk}      300 coins    -> sink:spend, void at " in text
    assert "— cup 3" in text
