"""How API tokens are checked, documented by tests: DRF's TokenAuthentication everywhere (and
the studio's JWTs beside it, tests/accounts/test_studio_jwt.py), for a legacy key a
lookup of the presented key by equality on the token table's primary key (an index probe in
the database, no loop over tokens in Python where timing could leak a prefix), the cached
lookup in front of it keyed by a hash of the token (never the token itself), and tokens that
are long random strings."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from economy.accounts.authentication import JWTAuthentication

pytestmark = pytest.mark.django_db


def _api_views(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if view is not None and issubclass(view, APIView):
                yield prefix + str(pattern.pattern), view


def test_tokens_then_the_studios_jwts_are_the_only_configured_schemes():
    token, studio = api_settings.DEFAULT_AUTHENTICATION_CLASSES
    assert issubclass(token, TokenAuthentication)
    assert studio is JWTAuthentication
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        f"{cls.__module__}.{cls.__qualname__}" for cls in (token, studio)
    ]


def test_every_api_view_authenticates_with_tokens_or_is_public():
    views = dict(_api_views())
    assert any(path.startswith("api/v1/") for path in views)
    for path, view in views.items():
        classes = view.authentication_classes
        if not classes:  # login, health: public on purpose, AllowAny
            assert path.endswith(("auth/token", "health", "health/ready")), path
            continue
        assert all(issubclass(cls, TokenAuthentication | JWTAuthentication) for cls in classes), (
            path,
            classes,
        )


def test_tokens_are_looked_up_by_indexed_equality_on_the_key(player, player_client):
    assert Token._meta.pk.name == "key"
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Token._meta.db_table)
    assert any(c["primary_key"] and c["columns"] == ["key"] for c in constraints.values())

    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert player_client.get("/api/v1/users/me").status_code == 200
    token_queries = [q["sql"] for q in queries if '"authtoken_token"' in q["sql"]]
    assert len(token_queries) == 1, token_queries
    assert re.search(r'WHERE "authtoken_token"\."key" = ', token_queries[0]), token_queries[0]


def test_the_lookup_is_an_index_probe_whatever_the_number_of_tokens(player):
    key = Token.objects.create(user=player).key
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute('EXPLAIN SELECT 1 FROM "authtoken_token" WHERE "key" = %s', [key])
        plan = " ".join(row[0] for row in cursor.fetchall())
    # The primary key's index or its varchar_pattern_ops twin: either is an index probe.
    assert re.search(r"Index (Only )?Scan using authtoken_token_\w+", plan), plan
    assert "Index Cond: (key = " in plan, plan


def test_tokens_are_40_hex_characters_from_a_csprng(player):
    keys = {Token.generate_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(re.fullmatch(r"[0-9a-f]{40}", key) for key in keys)


def test_the_cached_lookup_never_stores_the_token_in_clear(player, player_client):
    from django.core.cache import cache

    key = Token.objects.get_or_create(user=player)[0].key
    assert player_client.get("/api/v1/users/me").status_code == 200
    if not hasattr(cache, "client"):
        pytest.skip("needs Redis as the cache")
    redis = cache.client.get_client()
    stored = list(redis.scan_iter(match=cache.make_key("*"), count=1000))  # this run's keys
    assert stored, "the lookup cached nothing"
    assert not [name for name in stored if key.encode() in name]
    assert not [name for name in stored if key.encode() in (redis.dump(name) or b"")]
