"""Transfers as the tests make them: through the API, and what a refusal must leave unchanged."""

from economy.transfers.models import Transfer
from tests.support import ledger


def post_transfer(client, key="transfer-1", **body):
    """POST /transfers with `body`; the response, whatever it is."""
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/transfers", body, format="json", **headers)


def transfers_page(client, user, **query):
    return client.get(f"/api/v1/users/{user.pk}/transfers", query)


def snapshot():
    """Everything a transfer could change (tests.support.ledger.snapshot), its rows included."""
    return {**ledger.snapshot(), "transfers": Transfer.objects.count()}
