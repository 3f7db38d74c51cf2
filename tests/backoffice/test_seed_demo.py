import pytest
from django.core.management import call_command

from economy.accounts.models import User
from economy.catalog.models import Product
from economy.ledger.models import Transaction
from tests.support.ledger import assert_ledger_consistent

pytestmark = pytest.mark.django_db


def _counts():
    return (User.objects.count(), Product.objects.count(), Transaction.objects.count())


def test_seed_demo_twice_creates_nothing_twice(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    after_first = _counts()
    call_command("seed_demo")
    assert _counts() == after_first
    assert Product.objects.filter(name="Буст на день", type="consumable", price=100).exists()
    assert Product.objects.filter(name="Премиум-статус", type="permanent", price=500).exists()
    demo = User.objects.get(username="demo")
    assert demo.balance > 0 and demo.auth_token.key in first
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
