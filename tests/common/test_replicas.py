"""The replica router's rules, without a replica: what goes to the primary, and when a player's
reads stay there. tests/reliability/test_read_replicas.py runs them against a real replica.
Tests that look at transactions run outside the test's own (transaction=True)."""

import pytest
from django.db import transaction

from economy.common import replicas
from economy.ledger.models import Transaction
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

router = replicas.ReplicaRouter()


@pytest.fixture
def one_replica(monkeypatch):
    """As if DATABASE_REPLICA_URLS named one healthy replica."""
    monkeypatch.setattr(replicas, "aliases", lambda: ["replica_0"])
    monkeypatch.setattr(replicas, "state", lambda alias: "ok")


def test_without_replicas_everything_reads_the_primary():
    assert replicas.aliases() == []
    with replicas.reads_for(None) as alias:
        assert alias is None
        assert router.db_for_read(Transaction) == "default"


@pytest.mark.django_db(transaction=True)
def test_reads_outside_a_transaction_go_to_the_replica_and_inside_one_to_the_primary(
    one_replica,
):
    with replicas.reads_for(None) as alias:
        assert alias == "replica_0"
        assert router.db_for_read(Transaction) == "replica_0"
        with transaction.atomic():
            assert router.db_for_read(Transaction) == "default"
    assert router.db_for_read(Transaction) == "default"  # outside reads_for
    assert router.db_for_write(Transaction) == "default"
    assert not router.allow_migrate("replica_0", "ledger")


@pytest.mark.django_db(transaction=True)
def test_a_player_who_wrote_reads_the_primary_once_the_write_commits(one_replica, settings):
    settings.ECONOMY_READ_YOUR_WRITES_SECONDS = 5
    writer, rolled_back, other = UserFactory(), UserFactory(), UserFactory()

    with transaction.atomic():
        replicas.wrote(writer.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        replicas.wrote(rolled_back.pk)
        raise RuntimeError("rolled back")

    for user, expected in ((writer, None), (rolled_back, "replica_0"), (other, "replica_0")):
        with replicas.reads_for(user.pk) as alias:
            assert alias == expected, user


def test_a_player_reads_the_primary_when_the_cache_cannot_say(one_replica, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(replicas.cache, "get", down)

    with replicas.reads_for(UserFactory().pk) as alias:
        assert alias is None


def test_no_healthy_replica_means_the_primary(monkeypatch):
    monkeypatch.setattr(replicas, "aliases", lambda: ["replica_0", "replica_1"])
    monkeypatch.setattr(replicas, "state", {"replica_0": "down", "replica_1": "lagging"}.get)

    with replicas.reads_for(None) as alias:
        assert alias is None


@pytest.mark.django_db(transaction=True)
def test_every_change_of_a_player_marks_it(one_replica, player, product, player_client):
    response = player_client.post(f"/api/v1/products/{product.pk}/purchase", {}, format="json")

    assert response.status_code == 201
    with replicas.reads_for(player.pk) as alias:
        assert alias is None
