"""OpenAPI pieces shared by every endpoint: the error body and the responses that carry it."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

from .idempotency import KEY_PATTERN

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.DictField(),
            },
        )
    },
)

_ERROR_CODES = {
    400: "validation_error (details per field), idempotency_key_missing, idempotency_key_invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable (an Accept header that excludes application/json)",
    409: "a business rule refused the request",
    415: "unsupported_media_type (a body that is not application/json)",
    422: "idempotency_key_reused",
    429: "rate_limited (with Retry-After)",
    503: "unavailable",
}


def errors(*statuses: int, **codes: str) -> dict[int, OpenApiResponse]:
    """{status: OpenApiResponse} for the error statuses an endpoint can answer.

    `codes` overrides a description, e.g. errors(409, **{"409": "insufficient_funds, ..."}).
    """
    return {
        status: OpenApiResponse(
            ErrorSerializer, description=codes.get(str(status), _ERROR_CODES[status])
        )
        for status in statuses
    }


# Every authenticated endpoint can answer these.
AUTH_ERRORS = (401, 405, 406, 429)
# And every endpoint that takes a body, these.
BODY_ERRORS = (400, 415)


def idempotency_key_header(*, required: bool) -> OpenApiParameter:
    return OpenApiParameter(
        name="Idempotency-Key",
        type={"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
        location=OpenApiParameter.HEADER,
        required=required,
        description=(
            "1-255 printable ASCII characters, no space at either end, scoped to the caller and "
            "the route. Same key and "
            "same request: the stored response is replayed byte for byte with "
            "`Idempotent-Replayed: true` and nothing happens twice. Same key, other request: 422 "
            "`idempotency_key_reused`. Kept ECONOMY_IDEMPOTENCY_TTL_HOURS (24 h)."
        ),
    )


# Answered with every 429 `rate_limited`.
RETRY_AFTER_HEADER = OpenApiParameter(
    name="Retry-After",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[429],
    description="Seconds until the caller's rate-limit window resets.",
)


# Request bodies that take at most one of some fields, by component name: what the serializer
# checks, stated in the schema as `not: {required: [...]}` (state_exclusive_fields).
_EXCLUSIVE: dict[str, tuple[str, ...]] = {}


def at_most_one_of(*fields: str) -> Any:
    """Decorate a request serializer whose body may give at most one of `fields`; its
    validate() refuses both, and the schema says so."""

    def mark(serializer_class: type) -> type:
        # drf-spectacular's name for a request body's component (COMPONENT_SPLIT_REQUEST).
        _EXCLUSIVE[serializer_class.__name__.removesuffix("Serializer") + "Request"] = fields
        return serializer_class

    return mark


def state_exclusive_fields(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: each body of at_most_one_of gets its `not`."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, fields in _EXCLUSIVE.items():
        if name in schemas:
            schemas[name]["not"] = {"required": list(fields)}
    return result


def money_write(
    *,
    operation_id: str,
    request: Any,
    response: Any,
    refusals: str,
    status_code: int = 201,
) -> Any:
    """The OpenAPI of a money-moving POST: its body, its answer, the Idempotency-Key it
    requires, the errors every such POST can answer and its own 409 `refusals`."""
    return extend_schema(
        operation_id=operation_id,
        request=request,
        parameters=[idempotency_key_header(required=True), RETRY_AFTER_HEADER],
        responses={
            status_code: response,
            **errors(*AUTH_ERRORS, *BODY_ERRORS, 403, 404, 409, 422, **{"409": refusals}),
        },
    )
