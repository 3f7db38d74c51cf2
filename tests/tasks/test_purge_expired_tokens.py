"""The daily purge of API tokens past their expiry."""

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken

from economy.accounts import services
from economy.accounts.tasks import purge_expired_tokens

pytestmark = pytest.mark.django_db


def test_expired_tokens_are_purged_and_the_others_stay(player, backend):
    for _ in range(3):
        token, _ = services.issue_token(user=player, ttl=timedelta(hours=1))
        AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    fresh, _ = services.issue_token(user=player, ttl=timedelta(hours=1))
    forever, _ = services.issue_token(user=backend, ttl=None)
    assert purge_expired_tokens.delay().get() == 3
    assert set(AuthToken.objects.values_list("pk", flat=True)) == {fresh.pk, forever.pk}
    assert purge_expired_tokens.apply().get() == 0


def test_a_backlog_goes_in_batches(player):
    for _ in range(7):
        token, _ = services.issue_token(user=player, ttl=timedelta(hours=1))
        AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert services.purge_expired_tokens(batch_size=3) == 7
    assert not AuthToken.objects.exists()
