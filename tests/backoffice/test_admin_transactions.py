"""The ledger in /admin/: read-only for everyone, searchable, and the refund action."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages

from economy.common.exceptions import InsufficientFunds
from economy.inventory.models import InventoryItem
from economy.inventory.services import purchase_product
from economy.ledger.models import Kind, Status, Transaction
from economy.ledger.services import add_funds
from tests.factories import CurrencyFactory, ProductFactory, UserFactory, default_currency
from tests.support.admin import login
from tests.support.ledger import assert_ledger_consistent

pytestmark = pytest.mark.django_db

URL = "/admin/ledger/transaction/"


def buy(player, product, quantity=1):
    return purchase_product(user_id=player.pk, product_id=product.pk, quantity=quantity).transaction


def listed_ids(response):
    return {row.pk for row in response.context["cl"].result_list}


def test_nobody_may_add_change_or_delete_a_transaction_not_even_a_superuser(superuser_client):
    row = UserFactory(funds=100).transactions.get()

    assert superuser_client.get(f"{URL}add/").status_code == 403
    assert superuser_client.get(f"{URL}{row.pk}/delete/").status_code == 403
    page = superuser_client.get(f"{URL}{row.pk}/change/")
    assert page.status_code == 200  # a view page, without a save button
    assert 'name="_save"' not in page.content.decode()
    response = superuser_client.post(f"{URL}{row.pk}/change/", {"amount": 1_000_000})
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.amount == 100


def test_the_changelist_offers_no_delete_action(superuser_client):
    actions = superuser_client.get(URL).context["action_form"].fields["action"].choices
    names = [name for name, _ in actions]
    assert "delete_selected" not in names
    assert "refund" in names


def test_search_by_username_email_product_name_and_idempotency_key(superuser_client):
    alice, bob = UserFactory(username="alice", funds=1000), UserFactory(username="bob", funds=1000)
    sword = ProductFactory(name="Sword")
    by_alice = buy(alice, sword)
    deposit = add_funds(
        user_id=bob.pk, amount=5, currency=default_currency(), idempotency_key="topup-42"
    ).transaction
    alice_rows = set(Transaction.objects.filter(user=alice).values_list("pk", flat=True))

    assert listed_ids(superuser_client.get(URL, {"q": "alice"})) == alice_rows
    assert listed_ids(superuser_client.get(URL, {"q": "alice@example.com"})) == alice_rows
    assert listed_ids(superuser_client.get(URL, {"q": "Sword"})) == {by_alice.pk}
    assert listed_ids(superuser_client.get(URL, {"q": "topup-42"})) == {deposit.pk}


def test_filter_by_currency(superuser_client):
    gems = CurrencyFactory(code="gems")
    player = UserFactory(funds=100)
    in_gems = add_funds(user_id=player.pk, amount=7, currency=gems).transaction

    assert listed_ids(superuser_client.get(URL, {"currency__id__exact": gems.pk})) == {in_gems.pk}
    coins = listed_ids(superuser_client.get(URL, {"currency__id__exact": default_currency().pk}))
    assert coins == set(player.transactions.exclude(pk=in_gems.pk).values_list("pk", flat=True))


def test_the_list_shows_each_rows_currency_and_wallets(superuser_client):
    player = UserFactory(funds=100)
    buy(player, ProductFactory(name="Sword", price=30))
    body = superuser_client.get(URL).content.decode()
    for shown in ("sink:store", "faucet:grants", "coins"):
        assert shown in body


def test_filters_by_kind_status_and_date(superuser_client):
    player = UserFactory(funds=50)
    with pytest.raises(Exception, match="balance"):
        purchase_product(user_id=player.pk, product_id=ProductFactory(price=100).pk)
    failed = Transaction.objects.get(status=Status.FAILED)
    today = failed.created_at

    assert listed_ids(superuser_client.get(URL, {"status__exact": "failed"})) == {failed.pk}
    assert listed_ids(superuser_client.get(URL, {"kind__exact": "adjustment"})) == set(
        Transaction.objects.filter(kind=Kind.ADJUSTMENT).values_list("pk", flat=True)
    )
    by_day = superuser_client.get(
        URL,
        {
            "created_at__year": today.year,
            "created_at__month": today.month,
            "created_at__day": today.day,
        },
    )
    assert failed.pk in listed_ids(by_day)


def test_the_changelist_costs_the_same_queries_for_5_or_50_rows(
    superuser_client, django_assert_max_num_queries
):
    product = ProductFactory(price=1)
    for _ in range(5):
        buy(UserFactory(funds=10), product)
    superuser_client.get(URL)  # warm the session and content types
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        superuser_client.get(URL)
    for _ in range(45):
        buy(UserFactory(funds=10), product)
    with django_assert_max_num_queries(len(few.captured_queries)):
        superuser_client.get(URL)


def refund_action(client, rows, reason=None):
    data = {"action": "refund", "_selected_action": [row.pk for row in rows]}
    if reason is None:
        data["index"] = 0
    else:
        data.update(apply="Refund", reason=reason)
    return client.post(URL, data)


def test_refund_asks_for_a_reason_on_a_confirmation_page_first(support_client):
    player = UserFactory(funds=1000)
    purchase = buy(player, ProductFactory(price=100), quantity=2)

    page = refund_action(support_client, [purchase])

    assert page.status_code == 200
    assert "admin/ledger/transaction/refund.html" in [t.name for t in page.templates]
    assert not Transaction.objects.filter(kind=Kind.REFUND).exists()

    empty = refund_action(support_client, [purchase], reason="  ")
    assert empty.status_code == 200
    assert "This field is required" in empty.content.decode()
    assert not Transaction.objects.filter(kind=Kind.REFUND).exists()


def test_refund_action_refunds_purchases_and_reports_refusals_row_by_row(support, support_client):
    player = UserFactory(funds=1000)
    product = ProductFactory(price=100)
    purchase = buy(player, product, quantity=2)
    deposit = add_funds(user_id=player.pk, amount=10, currency=default_currency()).transaction

    response = refund_action(support_client, [purchase, deposit], reason="Player asked nicely")

    assert response.status_code == 302
    refund = Transaction.objects.get(kind=Kind.REFUND)
    assert (refund.refund_of_id, refund.amount, refund.reason, refund.created_by) == (
        purchase.pk,
        200,
        "Player asked nicely",
        support,
    )
    assert (refund.debit_wallet.name, refund.credit_wallet.owner) == ("sink:store", player)
    assert InventoryItem.objects.get(user=player, product=product).quantity == 0
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(text.startswith(f"#{purchase.pk} refunded: 2 unit(s), 200 coins") for text in texts)
    assert f"#{deposit.pk} not refunded: Only a completed purchase can be refunded." in texts
    assert_ledger_consistent()


def test_refund_action_twice_is_refused_the_second_time(support_client):
    purchase = buy(UserFactory(funds=1000), ProductFactory(price=100))
    refund_action(support_client, [purchase], reason="Once")

    response = refund_action(support_client, [purchase], reason="Twice")

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"#{purchase.pk} not refunded: This purchase was already refunded." in texts
    assert Transaction.objects.filter(kind=Kind.REFUND).count() == 1


def test_staff_who_may_only_view_the_ledger_cannot_refund(db):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_transaction"))
    client = login(viewer)
    purchase = buy(UserFactory(funds=1000), ProductFactory(price=100))

    page = client.get(URL)
    assert page.status_code == 200
    assert page.context["action_form"] is None or "refund" not in dict(
        page.context["action_form"].fields["action"].choices
    )
    refund_action(client, [purchase], reason="Sneaky")
    assert not Transaction.objects.filter(kind=Kind.REFUND).exists()


def test_the_list_shows_the_failure_reason_and_each_rows_other_side(superuser_client):
    player = UserFactory(funds=10)
    sword = ProductFactory(name="Sword", price=30)
    with pytest.raises(InsufficientFunds):
        buy(player, sword)

    page = superuser_client.get(URL)

    rows = {row.pk: row for row in page.context["cl"].result_list}
    failed = Transaction.objects.get(user=player, status=Status.FAILED)
    admin = page.context["cl"].model_admin
    assert admin.failure(rows[failed.pk]) == "insufficient funds"
    assert admin.what(rows[failed.pk]) == "purchase, failed"
    assert admin.movement(rows[failed.pk]) == "→ sink:store"
    assert admin.amount_shown(rows[failed.pk]) == "30 coins"
    assert admin.product_shown(rows[failed.pk]) == "1 x Sword"
    grant = Transaction.objects.get(user=player, kind=Kind.ADJUSTMENT)
    assert admin.movement(rows[grant.pk]) == "← faucet:grants"
    assert "insufficient funds" in page.content.decode()
