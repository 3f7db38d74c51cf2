"""The limited endpoints document 429 `rate_limited` and its Retry-After header."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/products/{product_id}/purchase",
        "/api/v1/products/{product_id}/use",
        "/api/v1/users/{user_id}/add-funds",
        "/api/v1/users/{user_id}/spend",
        "/api/v1/transfers",
        "/api/v1/auth/token",
    ],
)
def test_rate_limited_endpoints_document_429_with_retry_after(schema, path):
    response = schema["paths"][path]["post"]["responses"]["429"]
    assert response["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "rate_limited" in response["description"]
    assert "Retry-After" in response["headers"]


def test_popular_products_documents_its_parameters_and_errors(schema):
    operation = schema["paths"]["/api/v1/analytics/popular-products"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["days"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 90,
        "default": 7,
    }
    assert params["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 50,
        "default": 5,
    }
    assert {"200", "400", "401", "429"} <= set(operation["responses"])
