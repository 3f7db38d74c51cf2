"""The OpenAPI schema documents every endpoint, its bodies and its error responses."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings(capsys):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_schema_and_swagger_ui_are_served(api_client):
    assert api_client.get("/api/schema/").status_code == 200
    assert api_client.get("/api/docs/").status_code == 200


def test_every_operation_documents_its_errors_in_the_contract_shape(openapi_schema):
    for path, operations in openapi_schema["paths"].items():
        for method, operation in operations.items():
            errors = {code for code in operation["responses"] if code.startswith(("4", "5"))}
            if path.startswith("/api/v1/health"):
                continue
            assert errors, f"{method.upper()} {path} documents no error"
            for code in errors:
                content = operation["responses"][code]["content"]["application/json"]
                assert content["schema"]["$ref"].endswith("/Error"), (method, path, code)


def test_money_moving_posts_document_the_idempotency_key(openapi_schema):
    for path in ("purchase", "use", "add-funds", "spend"):
        [operation] = [
            ops["post"] for p, ops in openapi_schema["paths"].items() if p.endswith(path)
        ]
        [header] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert header.get("required", False) is (path in ("add-funds", "spend"))
        assert {"409", "422"} <= set(operation["responses"])


def test_a_transaction_names_its_currency_and_both_wallets_as_strings(openapi_schema):
    properties = openapi_schema["components"]["schemas"]["Transaction"]["properties"]
    for field in ("currency", "debit", "credit"):
        assert properties[field]["type"] == "string", (field, properties[field])
    assert properties["debit"]["description"].startswith("Where it came from")


def test_money_bodies_take_an_optional_currency(openapi_schema):
    for path in ("add-funds", "spend"):
        [operation] = [
            ops["post"] for p, ops in openapi_schema["paths"].items() if p.endswith(path)
        ]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = openapi_schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert "currency" in body["properties"]
        assert "currency" not in body.get("required", [])
        assert body["required"] == ["amount"]


def test_the_currencies_are_documented_for_authenticated_callers(openapi_schema):
    operation = openapi_schema["paths"]["/api/v1/currencies"]["get"]
    assert {"200", "401"} <= set(operation["responses"])


def _schemas_with_a_default(openapi_schema):
    for name, component in openapi_schema["components"]["schemas"].items():
        for field, schema in component.get("properties", {}).items():
            if "default" in schema:
                yield f"{name}.{field}", schema
    for path, operations in openapi_schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if "default" in parameter.get("schema", {}):
                    yield f"{method.upper()} {path} {parameter['name']}", parameter["schema"]


def test_every_default_is_a_value_its_own_schema_admits(openapi_schema):
    """A generated client may send a field's documented default: the server must take it."""
    import jsonschema

    checked = 0
    for where, schema in _schemas_with_a_default(openapi_schema):
        default = schema["default"]
        if default is None and schema.get("nullable"):
            continue
        # The components beside it, for the references it holds (an enum's, say).
        rooted = {**schema, "components": openapi_schema["components"]}
        errors = list(jsonschema.Draft202012Validator(rooted).iter_errors(default))
        assert not errors, (where, default, [error.message for error in errors])
        checked += 1
    assert checked >= 5  # sinks, destinations, on_expiry, days, limit...
