"""The hourly purge of Idempotency-Key records older than ECONOMY_IDEMPOTENCY_TTL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from economy.common.idempotency import purge_expired_keys
from economy.common.models import IdempotencyRecord
from economy.common.tasks import purge_idempotency_keys

pytestmark = pytest.mark.django_db


def make_keys(actor, count, *, age):
    records = IdempotencyRecord.objects.bulk_create(
        IdempotencyRecord(
            actor=actor,
            route="POST r",
            key=f"{age}-{i}",
            fingerprint="f",
            status_code=201,
            response_body=b"{}",
        )
        for i in range(count)
    )
    IdempotencyRecord.objects.filter(pk__in=[r.pk for r in records]).update(
        created_at=timezone.now() - age
    )
    return {r.pk for r in records}


def test_expired_keys_are_purged_and_fresh_ones_stay(player, settings):
    settings.ECONOMY_IDEMPOTENCY_TTL = timedelta(hours=24)
    expired = make_keys(player, 3, age=timedelta(hours=25))
    fresh = make_keys(player, 2, age=timedelta(hours=23))

    assert purge_idempotency_keys.delay().get() == 3

    assert set(IdempotencyRecord.objects.values_list("pk", flat=True)) == fresh
    assert not IdempotencyRecord.objects.filter(pk__in=expired).exists()


def test_the_ttl_setting_decides_what_expired(player, settings):
    settings.ECONOMY_IDEMPOTENCY_TTL = timedelta(hours=1)
    make_keys(player, 2, age=timedelta(hours=2))
    assert purge_idempotency_keys.apply().get() == 2
    assert IdempotencyRecord.objects.count() == 0


def test_a_backlog_is_deleted_in_batches(player, django_assert_num_queries):
    make_keys(player, 7, age=timedelta(days=3))
    # Three batches of at most 3 (select + delete each), then an empty select.
    with django_assert_num_queries(7):
        assert purge_expired_keys(batch_size=3) == 7
    assert IdempotencyRecord.objects.count() == 0


def test_a_second_run_finds_nothing_to_delete(player):
    make_keys(player, 2, age=timedelta(days=2))
    assert purge_idempotency_keys.apply().get() == 2
    assert purge_idempotency_keys.apply().get() == 0


def test_a_purged_key_can_be_used_again(backend, backend_client, player, settings):
    settings.ECONOMY_IDEMPOTENCY_TTL = timedelta(hours=24)
    url = f"/api/v1/users/{player.pk}/add-funds"
    headers = {"HTTP_IDEMPOTENCY_KEY": "top-up-1"}
    assert backend_client.post(url, {"amount": 5}, format="json", **headers).status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    purge_idempotency_keys.apply()
    again = backend_client.post(url, {"amount": 7}, format="json", **headers)
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
