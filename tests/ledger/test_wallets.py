"""Wallets: one per (player, currency), opened on first use with the currency's initial grant
exactly once, locked per player so that players never wait on each other."""

import threading

import pytest
from django.db import connections, transaction

from economy.events.models import Event, EventType
from economy.ledger import services as ledger
from economy.ledger.models import Kind, SystemWallet, Transaction, Wallet
from tests.factories import CurrencyFactory, ProductFactory, UserFactory
from tests.support.api import buy, client_for, purchase
from tests.support.concurrency import run_concurrently
from tests.support.ledger import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def gems():
    return CurrencyFactory(code="gems", initial_grant=25, max_balance=1000)


def grants_of(user, currency):
    return Transaction.objects.filter(
        user=user, currency=currency, kind=Kind.ADJUSTMENT, reason="Initial grant"
    )


def grant_events_of(user):
    return Event.objects.filter(
        user=user, type=EventType.BALANCE_ADJUSTED, payload__transaction__reason="Initial grant"
    )


def test_a_first_purchase_in_a_currency_opens_its_wallet_with_the_initial_grant(gems):
    player = UserFactory()
    egg = ProductFactory(price=10, price_currency=gems)
    body = buy(client_for(player), egg).json()

    assert (body["currency"], body["balance"], body["available"]) == ("gems", 15, 15)
    (grant,) = grants_of(player, gems)
    assert grant.debit_wallet.name == SystemWallet.GRANTS
    assert grant.amount == 25
    assert balance_of(player, "gems") == 15
    assert_ledger_consistent()


def test_the_initial_grant_is_in_the_feed_before_the_purchase_that_opened_the_wallet(gems):
    """A game server following the events sees every coin a player has: the grant is an
    adjustment like support's, with no staff behind it."""
    player = UserFactory()
    buy(client_for(player), ProductFactory(price=10, price_currency=gems))

    grant, bought = Event.objects.filter(user=player).order_by("id")
    assert (grant.type, bought.type) == (EventType.BALANCE_ADJUSTED, EventType.PURCHASE_COMPLETED)
    assert grant.payload["transaction"]["id"] == grants_of(player, gems).get().pk
    assert grant.payload["transaction"]["debit"] == SystemWallet.GRANTS
    assert (grant.payload["change"], grant.payload["staff_id"]) == (25, None)
    assert (grant.payload["currency"], grant.payload["balance"]) == ("gems", 25)
    assert bought.payload["balance"] == 15


def test_a_refused_first_purchase_keeps_the_grant_and_its_event(gems):
    player = UserFactory()
    response = purchase(client_for(player), ProductFactory(price=100, price_currency=gems))

    assert response.status_code == 409
    assert balance_of(player, "gems") == 25
    assert grant_events_of(player).count() == 1
    assert Event.objects.filter(user=player, type=EventType.PURCHASE_REFUSED).count() == 1


def test_a_wallet_opening_rolled_back_leaves_no_grant_and_no_event(gems):
    player = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.lock_wallet(user_id=player.pk, currency=gems)
        raise RuntimeError("the operation failed after opening the wallet")

    assert not grants_of(player, gems).exists()
    assert not grant_events_of(player).exists()
    assert not Wallet.objects.filter(owner=player, currency=gems).exists()


def test_a_currency_without_an_initial_grant_opens_its_wallet_with_no_event():
    player, stars = UserFactory(), CurrencyFactory(code="stars")
    purchase(client_for(player), ProductFactory(price=1, price_currency=stars))

    assert Wallet.objects.filter(owner=player, currency=stars).exists()
    assert not grant_events_of(player).exists()


def test_the_profile_shows_a_wallet_not_opened_yet_with_what_it_will_grant(gems):
    player = UserFactory(funds=40)
    body = client_for(player).get("/api/v1/users/me").json()
    assert body["balance"] == 40
    assert body["balances"] == {
        "coins": {"balance": 40, "held": 0, "available": 40},
        "gems": {"balance": 25, "held": 0, "available": 25},
    }
    assert not Wallet.objects.filter(owner=player, currency=gems).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_uses_give_the_initial_grant_exactly_once(gems):
    player = UserFactory()
    egg = ProductFactory(price=1, price_currency=gems)
    clients = [client_for(player) for _ in range(8)]

    responses = run_concurrently(lambda client: purchase(client, egg), [(c,) for c in clients])

    assert [r.status_code for r in responses] == [201] * 8
    assert grants_of(player, gems).count() == 1
    assert grant_events_of(player).count() == 1
    assert Wallet.objects.filter(owner=player, currency=gems).count() == 1
    assert balance_of(player, "gems") == 25 - 8
    assert_ledger_consistent()


@pytest.mark.django_db(transaction=True)
def test_purchases_by_different_players_never_wait_on_each_other():
    """One player's wallet is held locked by an open transaction; other players' purchases
    complete meanwhile: no purchase locks a row another player's purchase needs (sink:store
    included: system wallets are never updated)."""
    first, second = UserFactory(funds=500), UserFactory(funds=500)
    product = ProductFactory(price=10)
    locked, release = threading.Event(), threading.Event()

    def hold_first_players_wallet():
        try:
            with transaction.atomic():
                ledger.lock_wallet(user_id=first.pk, currency=product.price_currency)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_first_players_wallet)
    holder.start()
    try:
        assert locked.wait(10)
        with connections["default"].cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        for _ in range(3):
            buy(client_for(second), product)
    finally:
        release.set()
        holder.join(30)
    assert balance_of(second) == 500 - 30
    assert_ledger_consistent()


def test_a_credit_above_the_maximum_is_409_and_changes_nothing(backend_client, gems):
    player = UserFactory()
    response = backend_client.post(
        f"/api/v1/users/{player.pk}/add-funds",
        {"amount": 990, "currency": "gems"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="too-much",
    )
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "balance_limit_exceeded"
    assert error["details"] == {"currency": "gems", "balance": 25, "maximum": 1000}
    assert not Transaction.objects.filter(kind=Kind.DEPOSIT).exists()
    assert_ledger_consistent()


@pytest.mark.parametrize(
    ("code", "status"), [("nope", 409), ("old", 409), ("Coins", 400), ("", 400)]
)
def test_an_unknown_or_inactive_currency_is_refused(backend_client, player, code, status):
    """Well formed, what it names is missing (409 currency_unavailable); malformed (400)."""
    CurrencyFactory(code="old", is_active=False)
    response = backend_client.post(
        f"/api/v1/users/{player.pk}/add-funds",
        {"amount": 5, "currency": code},
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"k-{code}",
    )
    assert response.status_code == status, (code, response.content)
    assert "currency" in response.json()["error"]["details"]
    assert balance_of(player) == 1000


def test_each_currency_has_its_own_wallet_and_sums_to_zero(backend_client, gems):
    player = UserFactory(funds=100)
    for currency, amount in (("coins", 7), ("gems", 3)):
        response = backend_client.post(
            f"/api/v1/users/{player.pk}/add-funds",
            {"amount": amount, "currency": currency},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"pay-{currency}",
        )
        assert response.status_code == 201, response.content
        assert response.json()["currency"] == currency
    assert (balance_of(player), balance_of(player, "gems")) == (107, 28)
    assert_ledger_consistent()


def test_support_takes_currency_back_into_a_sink_never_below_available(player):
    change = ledger.adjust_balance(
        user_id=player.pk,
        amount=-300,
        currency=Wallet.objects.get(owner=player).currency,
        reason="Chargeback",
    )
    assert change.transaction.credit_wallet.name == SystemWallet.CORRECTIONS
    assert change.wallet.balance == 700
    with pytest.raises(ledger.InsufficientFunds):
        ledger.adjust_balance(
            user_id=player.pk, amount=-701, currency=change.wallet.currency, reason="Too much"
        )
    assert balance_of(player) == 700
    assert_ledger_consistent()


class Rollback(Exception):
    pass


def test_a_system_wallet_is_looked_up_once_its_creation_is_committed(
    gems, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = ledger.system_wallet("sink:crafting", gems)
    with django_assert_num_queries(0):
        again = ledger.system_wallet("sink:crafting", gems)
    assert again.pk == created.pk
    assert Wallet.objects.get(pk=again.pk).name == "sink:crafting"


def test_a_system_wallet_created_in_a_rolled_back_transaction_is_not_remembered(gems):
    with pytest.raises(Rollback), transaction.atomic():
        forgotten = ledger.system_wallet("sink:crafting", gems)
        raise Rollback
    assert not Wallet.objects.filter(pk=forgotten.pk).exists()

    wallet = ledger.system_wallet("sink:crafting", gems)
    assert wallet.pk != forgotten.pk
    assert Wallet.objects.filter(pk=wallet.pk, name="sink:crafting").exists()


def test_a_new_currency_opens_its_named_system_wallets_at_once(gems):
    names = Wallet.objects.filter(currency=gems, owner=None).values_list("name", flat=True)
    assert sorted(names) == sorted(SystemWallet.values)
