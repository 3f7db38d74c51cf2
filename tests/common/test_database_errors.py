"""Database errors at the right depth: a broken constraint is a bug (500, logged as an error
with its traceback), an unavailable database is an outage (503, the request can be retried)."""

import logging

import pytest
from django.db import connection

from economy.catalog.models import Product
from economy.ledger import services as ledger
from tests.factories import default_currency
from tests.support.api import assert_error

pytestmark = pytest.mark.django_db


def add_funds(client, user):
    return client.post(
        f"/api/v1/users/{user.pk}/add-funds",
        {"amount": 10},
        format="json",
        HTTP_IDEMPOTENCY_KEY="topup-1",
    )


def test_a_broken_constraint_is_a_500_logged_with_its_traceback(
    monkeypatch, caplog, backend_client, player
):
    def breaks_a_constraint(**kwargs):
        Product.objects.create(  # CHECK price > 0
            name="free", price=0, price_currency=default_currency(), type="consumable"
        )

    monkeypatch.setattr(ledger, "add_funds", breaks_a_constraint)
    with caplog.at_level(logging.ERROR, logger="economy.errors"):
        response = add_funds(backend_client, player)

    assert_error(response, 500, "internal_error")
    (record,) = [r for r in caplog.records if r.name == "economy.errors"]
    assert record.levelno == logging.ERROR
    assert "IntegrityError" in record.exc_text and "product_price_gt_0" in record.exc_text
    assert not Product.objects.filter(name="free").exists()


def test_bad_data_is_a_500(monkeypatch, backend_client, player):
    def overflows(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 2147483647::integer + 1")  # integer out of range: DataError

    monkeypatch.setattr(ledger, "add_funds", overflows)
    assert_error(add_funds(backend_client, player), 500, "internal_error")


def test_a_database_that_gives_up_is_a_503_logged_as_a_warning(
    monkeypatch, caplog, backend_client, player
):
    def times_out(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = '10ms'")
            cursor.execute("SELECT pg_sleep(1)")  # canceled: OperationalError

    monkeypatch.setattr(ledger, "add_funds", times_out)
    with caplog.at_level(logging.WARNING, logger="economy.errors"):
        response = add_funds(backend_client, player)

    assert_error(response, 503, "unavailable")
    assert [r.levelno for r in caplog.records if r.name == "economy.errors"] == [logging.WARNING]
