"""Webhooks in /admin/: superusers add endpoints (the secret shown once) and see their health;
support sees the deliveries and sends them again; content managers see none of it."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from economy.events.models import Event, EventType
from economy.webhooks import delivery
from economy.webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

ENDPOINTS = "/admin/webhooks/endpoint/"
DELIVERIES = "/admin/webhooks/delivery/"


def deliveries_for(endpoint, *statuses):
    rows = []
    for status in statuses:
        event = Event.objects.create(type=EventType.DEPOSIT_COMPLETED, payload={})
        rows.append(
            Delivery.objects.create(
                event=event,
                endpoint=endpoint,
                status=status,
                attempts=1,
                give_up_at=timezone.now(),
                delivered_at=timezone.now() if status == "delivered" else None,
                last_attempt_at=timezone.now(),
                last_status_code=None if status == "delivered" else 502,
                last_error="" if status == "delivered" else "Bad gateway",
            )
        )
    return rows


def test_a_superuser_adds_an_endpoint_and_sees_its_secret_once(superuser_client):
    response = superuser_client.post(
        f"{ENDPOINTS}add/",
        {
            "url": "https://game.example/hooks",
            "description": "match server",
            "event_types": ["purchase.completed", "hold.captured"],
            "is_active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    endpoint = Endpoint.objects.get()
    assert endpoint.event_types == ["purchase.completed", "hold.captured"]
    assert endpoint.secret.startswith("whsec_")
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert any(endpoint.secret in message for message in shown)

    change = superuser_client.get(f"{ENDPOINTS}{endpoint.pk}/change/")
    assert change.status_code == 200
    assert endpoint.secret not in change.content.decode()


def test_rotating_the_secret_shows_the_new_one_once(superuser_client):
    endpoint = Endpoint.objects.create(url="https://game.example/hooks")
    old = endpoint.secret
    response = superuser_client.post(
        ENDPOINTS, {"action": "rotate_secret", "_selected_action": [endpoint.pk]}, follow=True
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret in response.content.decode()


def test_the_endpoint_list_shows_health_in_a_fixed_number_of_queries(superuser_client):
    sick = Endpoint.objects.create(url="https://sick.example/hooks")
    deliveries_for(sick, "delivered", "pending", "failed", "failed")
    with CaptureQueriesContext(connection) as one:
        page = superuser_client.get(ENDPOINTS)
    text = page.content.decode()
    row = next(r for r in page.context["cl"].result_list if r.pk == sick.pk)
    assert (row.delivered_count, row.pending_count, row.failed_count) == (1, 1, 2)
    assert "1 delivered · 1 waiting · 2 failed · last failure 502 at" in text

    for n in range(5):
        deliveries_for(Endpoint.objects.create(url=f"https://e{n}.example/"), "failed")
    with CaptureQueriesContext(connection) as six:
        superuser_client.get(ENDPOINTS)
    assert len(six) == len(one)


def test_support_sees_deliveries_and_sends_failed_ones_again(support_client):
    endpoint = Endpoint.objects.create(url="https://game.example/hooks")
    failed, done = deliveries_for(endpoint, "failed", "delivered")
    page = support_client.get(f"{DELIVERIES}?status=failed")
    assert page.status_code == 200
    assert [row.pk for row in page.context["cl"].result_list] == [failed.pk]
    assert "Bad gateway" in page.content.decode()

    support_client.post(
        DELIVERIES, {"action": "redeliver", "_selected_action": [failed.pk]}, follow=True
    )
    failed.refresh_from_db()
    assert failed.status == "pending" and failed.give_up_at > timezone.now()
    assert delivery.lease_due() == {endpoint.pk: [failed.pk]}

    assert support_client.get(ENDPOINTS).status_code == 200
    assert support_client.get(f"{ENDPOINTS}add/").status_code == 403
    assert support_client.get(f"{DELIVERIES}{done.pk}/change/").status_code == 200


def test_content_managers_see_no_webhooks(content_client):
    assert content_client.get(ENDPOINTS).status_code == 403
    assert content_client.get(DELIVERIES).status_code == 403
