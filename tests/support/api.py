"""Calling the API as the tests do: clients for users, and the common requests."""

from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from tests.factories import TokenFactory

# A cache nobody answers on: what the service sees while Redis is down.
# Each process's own cache (config/settings/base.py), kept beside any Redis a test points at.
PROCESS_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "economy-process",
}
CLOSED_PORT_CACHE = {
    "process": PROCESS_CACHE,
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 0.2,
            "SOCKET_TIMEOUT": 0.2,
        },
    },
}


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {TokenFactory(user=user).key}")
    return client


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def purchase(client, product, **body):
    """POST /products/{id}/purchase; the response, whatever it is."""
    return client.post(f"/api/v1/products/{product.pk}/purchase", body, format="json")


def buy(client, product, quantity=1):
    """A purchase that must succeed."""
    response = purchase(client, product, quantity=quantity)
    assert response.status_code == 201, response.content
    return response


def inventory(client, user):
    return client.get(f"/api/v1/users/{user.pk}/inventory")


def assert_error(response, status, code=None):
    """The contract's error shape: {"error": {"code", "message", "details"}}, JSON."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]
