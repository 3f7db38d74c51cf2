import pytest
import redis
from django.core.cache import cache, caches
from rest_framework.test import APIClient

from economy.ledger.services import system_wallets

from .factories import ProductFactory, StaffFactory, UserFactory, default_currency
from .support.api import client_for, grant

# The studio's identity provider: JWKS server, signing keys, JWT players.
pytest_plugins = ["tests.support.studio"]


def clear_cache():
    """Delete this run's keys only: other runs may share the Redis database. This process's own
    copies (the "process" cache) go too."""
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()
    caches["process"].clear()


@pytest.fixture(autouse=True)
def _default_currency(request):
    """The default currency the migration creates, back after a flush: a transactional test
    elsewhere in the suite empties every table at its end."""
    if request.node.get_closest_marker("django_db") is None and not {
        "db",
        "transactional_db",
    } & set(request.fixturenames):
        return
    request.getfixturevalue("db")
    default_currency()


@pytest.fixture(autouse=True)
def _clean_cache():
    # Every test starts from an empty cache, and from no remembered system wallet: the rows of
    # the previous test were rolled back or flushed.
    system_wallets.clear()
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def redis_commands(monkeypatch):
    """The names of the Redis commands sent from now on, in order (one per round trip)."""
    sent = []
    original = redis.Redis.execute_command

    def counted(self, *args, **options):
        sent.append(args[0])
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    return sent


@pytest.fixture(scope="session")
def openapi_schema(django_db_blocker):
    """The service's OpenAPI schema, as GET /api/schema/ serves it."""
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def make_client():
    return client_for


@pytest.fixture
def player(db):
    return UserFactory(funds=1000)


@pytest.fixture
def player_client(player):
    return client_for(player)


@pytest.fixture
def staff(db):
    """Support staff: may read any player's data and credit balances."""
    return grant(StaffFactory(), "view_user", "add_funds")


@pytest.fixture
def staff_client(staff):
    return client_for(staff)


@pytest.fixture
def backend(db):
    """A trusted backend: a service account holding accounts.add_funds."""
    return grant(UserFactory(username="payments-backend"), "add_funds")


@pytest.fixture
def backend_client(backend):
    return client_for(backend)


@pytest.fixture
def product(db):
    return ProductFactory(name="Буст на день", price=100)


@pytest.fixture
def permanent(db):
    from .factories import PermanentProductFactory

    return PermanentProductFactory(name="Премиум-статус", price=500)
