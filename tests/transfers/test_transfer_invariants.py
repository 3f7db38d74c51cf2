"""What PostgreSQL refuses by itself on transfers, whatever the application does: each test tries
the forbidden write directly (migrations/sql/0002_append_only.postgresql.sql and the model's
constraints). test_sqlite_invariants.py does the same on SQLite."""

import pytest
from django.db import IntegrityError, connection, transaction

from economy.ledger import services as ledger
from economy.ledger.models import Kind
from economy.transfers import services
from economy.transfers.models import Transfer

pytestmark = pytest.mark.django_db


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def refused(statement, params=(), match=None):
    """The statement fails and changes nothing (its savepoint is rolled back)."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        sql(statement, params)


@pytest.fixture
def gift(alice, bob, gems):
    return services.transfer_currency(
        from_user_id=alice.pk, to_user_id=bob.pk, currency=gems, amount=10, actor=alice
    ).transfer


@pytest.fixture
def item_gift(alice, bob, potion, alice_items):
    return services.transfer_items(
        from_user_id=alice.pk, to_user_id=bob.pk, product_id=potion.pk, actor=alice
    ).transfer


@pytest.mark.parametrize("which", ["gift", "item_gift"])
def test_a_transfer_is_never_updated(which, request):
    transfer = request.getfixturevalue(which)
    for change in ("reason = 'rewritten'", "to_user_id = from_user_id", "created_at = now()"):
        refused(
            f"UPDATE transfers_transfer SET {change} WHERE id = %s",
            [transfer.pk],
            match="append-only",
        )
    transfer.refresh_from_db()
    assert transfer.reason == ""


@pytest.mark.parametrize("which", ["gift", "item_gift"])
def test_a_transfer_is_never_deleted(which, request):
    transfer = request.getfixturevalue(which)
    refused("DELETE FROM transfers_transfer WHERE id = %s", [transfer.pk], match="append-only")
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.filter(pk=transfer.pk).delete()
    assert Transfer.objects.filter(pk=transfer.pk).exists()


def _ledger_row(sender, receiver, currency, amount=10, kind=Kind.TRANSFER):
    wallets = ledger.lock_wallets([(sender.pk, currency), (receiver.pk, currency)])
    return ledger.post(
        debit=wallets[sender.pk, currency.pk],
        credit=wallets[receiver.pk, currency.pk],
        amount=amount,
        kind=kind,
    )


def test_a_currency_transfer_must_be_its_ledger_row(alice, bob, gems, coins):
    with transaction.atomic():
        row = _ledger_row(alice, bob, gems)
    spend = ledger.spend(user_id=alice.pk, amount=10, currency=gems).transaction
    cases = [
        {"transaction": row, "amount": 11},  # another amount
        {"transaction": row, "currency": coins},  # another currency
        {"transaction": row, "from_user": bob, "to_user": alice},  # the other way round
        {"transaction": spend},  # not a transfer
    ]
    for case in cases:
        fields = {"from_user": alice, "to_user": bob, "currency": gems, "amount": 10, **case}
        with pytest.raises(IntegrityError, match="its completed ledger row"), transaction.atomic():
            Transfer.objects.create(**fields)
    Transfer.objects.create(from_user=alice, to_user=bob, currency=gems, amount=10, transaction=row)


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"quantity": 1}, "transfer_currency_or_items"),  # both shapes
        ({"transaction": None}, "transfer_currency_or_items"),  # currency without its row
    ],
)
def test_a_currency_transfer_has_exactly_its_shape(alice, bob, gems, potion, fields, constraint):
    with transaction.atomic():
        row = _ledger_row(alice, bob, gems)
    values = {
        "from_user": alice,
        "to_user": bob,
        "currency": gems,
        "amount": 10,
        "transaction": row,
    }
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Transfer.objects.create(**{**values, **fields})


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"quantity": 0}, "transfer_quantity_gt_0"),
        ({"product": None}, "transfer_currency_or_items"),
        ({"to_user": "alice"}, "transfer_between_two_users"),
    ],
)
def test_an_item_transfer_moves_units_of_a_product_to_another_user(
    alice, bob, potion, fields, constraint
):
    values = {"from_user": alice, "to_user": bob, "product": potion, "quantity": 1}
    values.update({key: alice if value == "alice" else value for key, value in fields.items()})
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Transfer.objects.create(**values)
