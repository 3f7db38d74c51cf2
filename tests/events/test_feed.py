"""GET /events: the outbox as a feed for trusted backends, oldest first, with a cursor that
never skips an event that committed late or repeats one."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from economy.events.models import Event, EventType
from tests.factories import UserFactory
from tests.support.api import assert_error

URL = "/api/v1/events"


@pytest.fixture
def player(db):
    """A player whose making recorded no event (no funds granted)."""
    return UserFactory()


def happened(count=1, type=EventType.DEPOSIT_COMPLETED, user=None):
    return [Event.objects.create(type=type, user=user, payload={"n": n}) for n in range(count)]


@pytest.mark.django_db
def test_a_consumer_reads_every_event_once_by_following_next_after(backend_client, player):
    events = happened(5, user=player)
    seen, after = [], 0
    while True:
        page = backend_client.get(URL, {"after": after, "limit": 2})
        assert page.status_code == 200
        body = page.json()
        seen += body["results"]
        after = body["next_after"]
        if not body["has_more"]:
            break
    assert [item["id"] for item in seen] == [f"evt_{e.pk}" for e in events]
    assert [item["position"] for item in seen] == [1, 2, 3, 4, 5]
    assert seen[0]["user_id"] == player.pk and seen[0]["data"] == {"n": 0}
    assert seen[0]["type"] == "deposit.completed"

    # Nothing new: the same cursor comes back, with no results.
    again = backend_client.get(URL, {"after": after}).json()
    assert (again["results"], again["next_after"], again["has_more"]) == ([], after, False)


@pytest.mark.django_db
def test_the_feed_filters_by_type(backend_client):
    happened(2, type=EventType.DEPOSIT_COMPLETED)
    [spend] = happened(type=EventType.SPEND_COMPLETED)
    [used] = happened(type=EventType.ITEM_USED)
    body = backend_client.get(f"{URL}?type=spend.completed&type=item.used").json()
    assert [item["id"] for item in body["results"]] == [f"evt_{spend.pk}", f"evt_{used.pk}"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, field",
    [
        ({"after": "-1"}, "after"),
        ({"after": "x"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"type": "nope.done"}, "type"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(backend_client, query, field):
    response = backend_client.get(URL, query)
    assert_error(response, 400, "validation_error")
    assert field in response.json()["error"]["details"]


@pytest.mark.django_db
def test_only_trusted_backends_read_the_feed(api_client, player_client):
    happened()
    assert_error(api_client.get(URL), 401)
    assert_error(player_client.get(URL), 403, "permission_denied")


@pytest.mark.django_db
def test_a_page_costs_the_same_queries_whatever_its_size(backend_client, player):
    happened(3, user=player)
    backend_client.get(URL)  # positions given, token cached
    with CaptureQueriesContext(connection) as few:
        backend_client.get(URL)
    happened(40, user=player)
    backend_client.get(URL, {"after": 3})
    with CaptureQueriesContext(connection) as many:
        assert len(backend_client.get(URL).json()["results"]) == 43
    assert len(many) == len(few)


@pytest.mark.django_db(transaction=True)
def test_an_event_that_commits_late_is_not_skipped_by_the_cursor(backend_client):
    """Ids follow insert order, not commit order: the early id of a transaction still open is
    not shown before it commits, and after it commits it comes after the events already read."""
    inserted, release = threading.Event(), threading.Event()
    late: list[Event] = []

    def slow_change():
        try:
            with transaction.atomic():
                late.extend(happened(type=EventType.SPEND_COMPLETED))
                inserted.set()
                release.wait(30)
        finally:
            connection.close()

    worker = threading.Thread(target=slow_change)
    worker.start()
    try:
        assert inserted.wait(30)
        [early] = happened()
        first = backend_client.get(URL).json()
    finally:
        release.set()
        worker.join(30)
    assert late[0].pk < early.pk
    assert [item["id"] for item in first["results"]] == [f"evt_{early.pk}"]

    second = backend_client.get(URL, {"after": first["next_after"]}).json()
    assert [item["id"] for item in second["results"]] == [f"evt_{late[0].pk}"]
    assert second["results"][0]["position"] > first["results"][0]["position"]


@pytest.mark.django_db
def test_the_largest_position_the_schema_allows_is_an_empty_page(backend_client):
    happened()
    body = backend_client.get(URL, {"after": 10**18 - 1}).json()
    assert (body["results"], body["next_after"]) == ([], 10**18 - 1)
    assert_error(backend_client.get(URL, {"after": 10**18}), 400, "validation_error")


@pytest.mark.django_db
def test_a_filtered_page_moves_the_cursor_past_what_the_filter_skipped(backend_client):
    happened(3, type=EventType.DEPOSIT_COMPLETED)
    body = backend_client.get(URL, {"type": "spend.completed"}).json()
    assert (body["results"], body["next_after"], body["has_more"]) == ([], 3, False)
    [spend] = happened(type=EventType.SPEND_COMPLETED)
    happened(type=EventType.DEPOSIT_COMPLETED)
    body = backend_client.get(URL, {"type": "spend.completed", "after": 3}).json()
    assert [item["id"] for item in body["results"]] == [f"evt_{spend.pk}"]
    assert body["next_after"] == 5
