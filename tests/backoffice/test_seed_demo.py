import pytest
from django.core.management import call_command

from economy.accounts.models import User
from economy.catalog.models import Currency, Product
from economy.ledger.models import Transaction, Wallet
from tests.support.ledger import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db


def _counts():
    return (
        User.objects.count(),
        Currency.objects.count(),
        Product.objects.count(),
        Wallet.objects.count(),
        Transaction.objects.count(),
    )


def test_seed_demo_twice_creates_nothing_twice(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    after_first = _counts()
    call_command("seed_demo")
    assert _counts() == after_first
    assert Product.objects.filter(name="Буст на день", type="consumable", price=100).exists()
    assert Product.objects.filter(name="Премиум-статус", type="permanent", price=500).exists()
    gems = Currency.objects.get(code="gems")
    assert (gems.initial_grant, gems.max_balance, gems.is_default) == (10, 100_000, False)
    assert Product.objects.get(name="Dragon egg").price_currency == gems
    demo = User.objects.get(username="demo")
    # 1000 coins; 50 gems on top of the 10 the gems wallet opened with.
    assert (balance_of(demo), balance_of(demo, "gems")) == (1000, 60)
    assert demo.auth_token.key in first
    assert_ledger_consistent()


def test_seed_demo_prints_a_generated_admin_password_that_works(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    password = out.split("password: ")[-1].split()[0]
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(password)
    assert password not in ("admin", "password")


def test_seed_demo_token_only_prints_just_the_token(capsys):
    call_command("seed_demo", token_only=True)
    assert capsys.readouterr().out.strip() == User.objects.get(username="demo").auth_token.key


def test_seed_demo_gives_the_demo_player_opponents_and_prints_their_ids(capsys):
    call_command("seed_demo")
    capsys.readouterr()
    call_command("seed_demo", "--ids-only")
    ids = dict(pair.split("=") for pair in capsys.readouterr().out.split())
    players = {name: User.objects.get(username=name.lower()) for name in ("DEMO", "BOB", "CARA")}
    assert ids == {name: str(user.pk) for name, user in players.items()}
    assert (balance_of(players["BOB"]), balance_of(players["CARA"])) == (1000, 1000)
