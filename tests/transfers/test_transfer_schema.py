"""The OpenAPI schema documents both transfer endpoints: every body, parameter and error."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def component(schema, ref):
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_post_transfers_requires_the_idempotency_key_and_documents_every_error(schema):
    operation = schema["paths"]["/api/v1/transfers"]["post"]
    [header] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["required"] is True
    responses = operation["responses"]
    assert {"201", "400", "401", "403", "404", "409", "415", "422", "429"} <= set(responses)
    for status, response in responses.items():
        if status.startswith("4"):
            ref = response["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/Error"), status
    for code in (
        "not_transferable",
        "insufficient_funds",
        "balance_limit_exceeded",
        "currency_unavailable",
        "not_in_inventory",
        "insufficient_quantity",
        "already_owned",
        "quantity_not_allowed",
        "idempotency_in_progress",
    ):
        assert code in responses["409"]["description"], code
    assert "Retry-After" in responses["429"]["headers"]


def test_the_body_is_one_of_the_two_shapes(schema):
    operation = schema["paths"]["/api/v1/transfers"]["post"]
    body = component(
        schema, operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    )
    currency, items = (component(schema, option["$ref"]) for option in body["oneOf"])
    assert sorted(currency["required"]) == ["amount", "from_user", "to_user"]
    assert set(currency["properties"]) == {"from_user", "to_user", "amount", "currency", "reason"}
    assert sorted(items["required"]) == ["from_user", "product", "to_user"]
    assert set(items["properties"]) == {"from_user", "to_user", "product", "quantity", "reason"}
    assert currency["properties"]["amount"]["minimum"] == 1
    assert items["properties"]["quantity"]["maximum"] == 1000


def test_the_result_is_one_of_the_two_shapes_with_both_sides(schema):
    operation = schema["paths"]["/api/v1/transfers"]["post"]
    result = component(
        schema, operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    )
    currency, items = (component(schema, option["$ref"]) for option in result["oneOf"])
    assert set(currency["properties"]) == {"transfer", "transaction", "sender", "receiver"}
    assert set(items["properties"]) == {"transfer", "sender", "receiver"}
    wallet = component(schema, currency["properties"]["sender"]["$ref"])
    assert set(wallet["properties"]) == {"user_id", "currency", "balance", "held", "available"}
    holding = component(schema, items["properties"]["sender"]["$ref"])
    assert set(holding["properties"]) == {"user_id", "product_id", "quantity"}


def test_a_players_transfers_are_paginated_and_document_their_errors(schema):
    operation = schema["paths"]["/api/v1/users/{user_id}/transfers"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert {"user_id", "cursor", "page_size"} <= set(params)
    assert params["page_size"]["schema"]["maximum"] == 100
    assert {"200", "400", "401", "403", "404"} <= set(operation["responses"])
    page = component(
        schema, operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    )
    assert set(page["properties"]) == {"next", "previous", "results"}


def test_currencies_and_products_say_whether_they_are_giftable(schema):
    currency = schema["components"]["schemas"]["Currency"]["properties"]
    assert currency["is_giftable"]["type"] == "boolean"
    assert currency["daily_transfer_limit"]["type"] == "integer"
    assert schema["components"]["schemas"]["Product"]["properties"]["is_giftable"]["type"] == (
        "boolean"
    )
