"""Domain errors and the one exception handler that gives every error the contract's shape:

{"error": {"code": "insufficient_funds", "message": "human sentence", "details": {...}}}
"""

import logging
import math
from collections.abc import Mapping
from typing import Any, cast

from django.core.exceptions import ObjectDoesNotExist, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response

logger = logging.getLogger("economy.errors")


class DomainError(Exception):
    """A business rule said no. Services raise these; views never build HTTP errors by hand."""

    status_code: int = status.HTTP_409_CONFLICT
    code: str = "conflict"
    message: str = "The request conflicts with the current state."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    message = "The available balance does not cover this."


class BalanceLimitExceeded(DomainError):
    code = "balance_limit_exceeded"
    message = "This would take the balance above the currency's maximum."


class AlreadyOwned(DomainError):
    code = "already_owned"
    message = "This permanent item is already owned."


class ProductUnavailable(DomainError):
    code = "product_unavailable"
    message = "This product is not available for purchase."


class PurchaseLimitReached(DomainError):
    code = "purchase_limit_reached"
    message = "The player has bought as many of this product as its limit allows."


class CurrencyUnavailable(DomainError):
    code = "currency_unavailable"
    message = "No active currency has this code."


class QuantityNotAllowed(DomainError):
    code = "quantity_not_allowed"
    message = "A permanent item is bought one at a time."


class NotInInventory(DomainError):
    code = "not_in_inventory"
    message = "The user does not hold this product."


class InsufficientQuantity(DomainError):
    code = "insufficient_quantity"
    message = "The user does not hold that many units."


class NotConsumable(DomainError):
    code = "not_consumable"
    message = "Only consumable items can be used."


class NotRefundable(DomainError):
    code = "not_refundable"
    message = "This transaction cannot be refunded."


class NotTransferable(DomainError):
    code = "not_transferable"
    message = "This cannot be transferred."


class HoldNotPending(DomainError):
    code = "hold_not_pending"
    message = "This hold is no longer pending: it was captured, voided or has expired."


class InvalidDestination(DomainError):
    code = "invalid_destination"
    message = "A hold is paid to a sink or to another player, never to its own player."


class DestinationNotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "The destination names no player."


class InvalidExpiry(DomainError):
    code = "invalid_expiry"
    message = "A hold expires in the future, within ECONOMY_HOLD_MAX_SECONDS from now."


class AmountExceedsHold(DomainError):
    code = "amount_exceeds_hold"
    message = "A capture pays at most the amount the hold reserves."


class IdempotencyInProgress(DomainError):
    code = "idempotency_in_progress"
    message = "A request with this Idempotency-Key is still being processed; retry later."


class IdempotencyKeyReused(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used for a different request."


class InvalidInput(DomainError):
    """Input a service refuses (a bad amount from a command, say): 400 validation_error."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "validation_error"
    message = "The request is not valid."


class BadRequest(drf_exceptions.APIException):
    """A 400 with its own code, for request-level problems (headers) rather than fields."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"

    def __init__(self, message: str, code: str) -> None:
        super().__init__(detail=message, code=code)


class ServiceUnavailable(drf_exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A dependency is unavailable; try again shortly."
    default_code = "unavailable"


# DRF's own exceptions, mapped to the contract's codes.
_DRF_CODES: dict[type[drf_exceptions.APIException], tuple[str, str]] = {
    drf_exceptions.ValidationError: ("validation_error", "The request is not valid."),
    drf_exceptions.ParseError: ("validation_error", "The request body is not valid JSON."),
    drf_exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        "Send the body as application/json.",
    ),
    drf_exceptions.NotAuthenticated: (
        "not_authenticated",
        "Authentication credentials were not provided.",
    ),
    drf_exceptions.AuthenticationFailed: ("not_authenticated", "Invalid token."),
    drf_exceptions.PermissionDenied: ("permission_denied", "You may not perform this action."),
    drf_exceptions.NotFound: ("not_found", "Not found."),
    drf_exceptions.MethodNotAllowed: ("method_not_allowed", "Method not allowed."),
    drf_exceptions.NotAcceptable: ("not_acceptable", "Cannot satisfy the Accept header."),
}


def error_body(
    code: str, message: str, details: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(
    code: str,
    message: str,
    status_code: int,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(error_body(code, message, details), status=status_code, headers=headers)


def _drf_error(exc: drf_exceptions.APIException) -> tuple[str, str, dict[str, Any]]:
    for cls in type(exc).__mro__:
        if cls in _DRF_CODES:
            code, message = _DRF_CODES[cls]
            break
    else:
        code = getattr(exc, "default_code", "error")
        message = "The request failed."
    detail = exc.detail
    details: dict[str, Any]
    if isinstance(exc, drf_exceptions.ValidationError):
        details = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    elif isinstance(exc, BadRequest):
        # A BadRequest's detail is one message, so its codes are one string.
        code = cast(str, exc.get_codes())
        message = str(detail)
        details = {}
    else:
        message = str(detail) if detail else message
        details = {}
    return code, message, details


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception becomes the contract's error body."""
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        return error_response(exc.code, exc.message, exc.status_code, exc.details)
    if isinstance(exc, drf_exceptions.Throttled):
        # DRF sets Throttled.wait in __init__; the stubs leave the attribute out.
        retry_after = math.ceil(exc.wait or 1)  # type: ignore[attr-defined]
        return error_response(
            "rate_limited",
            "Too many requests; slow down.",
            status.HTTP_429_TOO_MANY_REQUESTS,
            {"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        # Django refusing the request itself (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many
        # fields), raised when the view reads it: a client error, as Django answers it too.
        exc = drf_exceptions.ParseError("The request is too large or malformed.")
    elif isinstance(exc, OperationalError | InterfaceError):
        # A lost connection, a lock timeout: the request changed nothing and can be retried.
        # Any other database error (a broken constraint, bad data) is a bug: 500 below.
        logger.warning("database unavailable, answered with 503: %s", exc)
        exc = ServiceUnavailable()

    if isinstance(exc, drf_exceptions.APIException):
        # Attributes only some exceptions carry (DRF adds auth_header to a 401's).
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)
        if wait:
            headers["Retry-After"] = str(int(wait))
        code, message, details = _drf_error(exc)
        return error_response(code, message, exc.status_code, details, headers=headers)

    logger.exception("unhandled error", exc_info=exc)
    return error_response(
        "internal_error", "An unexpected error occurred.", status.HTTP_500_INTERNAL_SERVER_ERROR
    )
