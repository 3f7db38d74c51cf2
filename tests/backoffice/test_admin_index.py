"""The admin's index lists the economy first, in the order staff work through it, and the
framework's models (tokens, groups, celery beat's schedules) after it."""

import pytest

pytestmark = pytest.mark.django_db


def labels(client):
    return [app["app_label"] for app in client.get("/admin/").context["app_list"]]


def test_a_superuser_sees_the_economy_first_and_celery_beat_last(superuser_client):
    assert labels(superuser_client) == [
        "economy",  # the dashboard
        "accounts",
        "catalog",
        "ledger",
        "inventory",
        "transfers",
        "events",
        "webhooks",
        "common",
        "authtoken",
        "auth",
        "django_celery_beat",
    ]
    page = superuser_client.get("/admin/").content.decode()
    assert "Virtual economy back office" in page


def test_support_sees_only_its_apps_in_the_same_order(support_client):
    assert labels(support_client) == [
        "economy",
        "accounts",
        "catalog",
        "ledger",
        "inventory",
        "transfers",
        "events",
        "webhooks",
        "common",
    ]


def test_a_content_manager_sees_the_catalog(content_client):
    assert labels(content_client) == ["economy", "catalog"]
