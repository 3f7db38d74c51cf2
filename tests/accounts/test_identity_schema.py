"""The OpenAPI schema documents both schemes (API tokens and the studio's Bearer JWT) and the
sign-in and logout endpoints."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_both_schemes_are_documented(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["type"] == "apiKey"
    assert schemes["studioJWT"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["studioJWT"]["description"],
    }
    me = schema["paths"]["/api/v1/users/me"]["get"]
    assert {"tokenAuth": []} in me["security"] and {"studioJWT": []} in me["security"]


def test_the_sign_in_body_states_its_bounds(schema):
    operation = schema["paths"]["/api/v1/auth/players"]["post"]
    assert {"200", "201", "400", "401", "403"} <= set(operation["responses"])
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert sorted(body["required"]) == ["external_id", "provider"]
    assert body["properties"]["provider"]["maxLength"] == 50
    assert body["properties"]["provider"]["pattern"]
    assert body["properties"]["external_id"]["maxLength"] == 255


@pytest.mark.parametrize("path", ["/api/v1/auth/logout", "/api/v1/auth/logout-all"])
def test_logout_answers_204_or_an_error(schema, path):
    responses = schema["paths"][path]["post"]["responses"]
    assert "204" in responses and "401" in responses
