import pytest

from tests.support.api import CLOSED_PORT_CACHE

pytestmark = pytest.mark.django_db


def test_liveness_is_200_without_touching_anything(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_is_200_when_database_and_cache_answer(api_client):
    response = api_client.get("/api/v1/health/ready")
    assert response.status_code == 200
    assert response.json()["components"] == {"database": "ok", "cache": "ok"}


def test_readiness_is_503_when_the_cache_is_unreachable(api_client, settings):
    settings.CACHES = CLOSED_PORT_CACHE
    response = api_client.get("/api/v1/health/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "components": {"database": "ok", "cache": "down"},
    }
