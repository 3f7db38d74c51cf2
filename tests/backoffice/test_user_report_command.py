import json

import pytest
from django.core.management.base import CommandError

from economy.inventory.services import purchase_product
from economy.ledger.models import Transaction
from tests.factories import PermanentProductFactory, ProductFactory, UserFactory
from tests.support.commands import run, run_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    player = UserFactory(username="alice", funds=5000)
    potion, skin = ProductFactory(name="Potion", price=1), PermanentProductFactory(name="Skin")
    for _ in range(24):
        purchase_product(user_id=player.pk, product_id=potion.pk)
    purchase_product(user_id=player.pk, product_id=skin.pk)
    player.refresh_from_db()
    return player


def test_report_as_json_has_balance_inventory_and_last_20_transactions(alice):
    report = json.loads(run("user_report", "alice@example.com", "--json"))

    assert report["user"] == {
        "id": alice.pk,
        "username": "alice",
        "email": "alice@example.com",
        "is_active": True,
        "balance": 5000 - 24 - 500,
    }
    assert report["inventory"] == [
        {"product": "Potion", "type": "consumable", "quantity": 24},
        {"product": "Skin", "type": "permanent", "quantity": 1},
    ]
    latest = list(Transaction.objects.filter(user=alice).values_list("pk", flat=True)[:20])
    assert [row["id"] for row in report["transactions"]] == latest
    assert report["transactions"][0]["product"] == "Skin"


def test_report_as_text(alice):
    out = run("user_report", str(alice.pk))
    assert f"User alice (id {alice.pk}, alice@example.com)" in out
    assert f"Balance: {alice.balance}" in out
    assert "24 x Potion (consumable)" in out
    assert out.count("purchase") == 20


def test_report_of_a_user_with_nothing(db):
    UserFactory(username="bob")
    out = run("user_report", "bob")
    assert "Balance: 0" in out
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
