"""Idempotency-Key handling for money-moving POSTs (contract section 3), written once.

The key is claimed by a UNIQUE insert in the same database transaction as the effect, as the
transaction's last statement. Whatever runs concurrently, a second effect cannot commit:

- a duplicate that arrives after the first committed finds its record and replays the
  stored response without doing the work again;
- a duplicate that arrives while the first is running (its record not yet visible) waits on
  the first's row locks, then on the key's index entry, hits the UNIQUE constraint, rolls
  everything back and replays; if the wait outlasts the database lock timeout it gets 409
  `idempotency_in_progress` and nothing is written.

Stored: 2xx responses and 409 business refusals (those are outcomes: a replay must not turn a
refused purchase into a successful one later). Not stored: validation and permission errors,
which change nothing, so the key stays free to be used again.

A request whose transaction PostgreSQL rolled back to break a deadlock runs once more, from
the start: it changed nothing, and the transaction it deadlocked with has gone on meanwhile.
"""

import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .exceptions import (
    BadRequest,
    DomainError,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    exception_handler,
)
from .models import IdempotencyRecord

logger = logging.getLogger("economy.errors")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Printable ASCII, no space at either end (HTTP servers strip those).
KEY_PATTERN = r"^[!-~](?:[ -~]{0,253}[!-~])?$"


def parse_key(request: Request, *, required: bool) -> str | None:
    key = request.headers.get(HEADER)
    # An empty key is refused, not taken for none: the client meant its retries to be safe.
    if key is None:
        if required:
            raise BadRequest(f"The {HEADER} header is required.", "idempotency_key_missing")
        return None
    if not re.match(KEY_PATTERN, key):
        raise BadRequest(
            f"The {HEADER} header must be 1-{MAX_KEY_LENGTH} printable ASCII characters.",
            "idempotency_key_invalid",
        )
    return key


def _is_lock_timeout(exc: Exception) -> bool:
    # PostgreSQL's lock_not_available; SQLite serialises writers and never gets here.
    return getattr(exc.__cause__, "sqlstate", None) == "55P03"


def _is_deadlock(exc: Exception) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == "40P01"  # deadlock_detected


def retried_after_deadlock(view_method: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run a money request once more if PostgreSQL broke a deadlock by rolling it back.

    The global lock order (ledger/locks.py) keeps two operations from deadlocking; a wallet
    opened by another transaction while this one waited for it is locked out of that order
    (docs/architecture.md). The rolled-back attempt changed nothing, and its on-commit work
    was dropped with it. Inside a caller's own transaction there is nothing to run again."""

    @functools.wraps(view_method)
    def wrapper(*args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view_method(*args, **kwargs)
        except OperationalError as exc:
            if not _is_deadlock(exc) or connection.in_atomic_block:
                raise
        logger.warning("deadlock broken by PostgreSQL: the request runs once more")
        return view_method(*args, **kwargs)

    return wrapper


def fingerprint(request: Request, kwargs: dict[str, Any]) -> str:
    """What makes two requests "the same": route parameters and the normalised JSON body."""
    canonical = json.dumps(
        {"params": kwargs, "body": request.data},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _route(request: Request) -> str:
    """The URL pattern the request matched ("users/<int:user_id>/add-funds")."""
    match = request.resolver_match
    return match.route if match is not None else request.path


def _json_response(body: bytes, status: int) -> HttpResponse:
    return HttpResponse(bytes(body), status=status, content_type="application/json")


def _replay(scope: dict[str, Any], request_fingerprint: str) -> HttpResponse:
    record = IdempotencyRecord.objects.filter(**scope).first()
    if record is None:
        raise IdempotencyInProgress()
    if record.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused()
    response = _json_response(record.response_body, record.status_code)
    response[REPLAYED_HEADER] = "true"
    return response


Handler = Callable[..., Response]


def idempotent(*, required: bool = False) -> Callable[[Handler], Callable[..., HttpResponse]]:
    """Decorate a DRF handler (`def post(self, request, ...)`) whose effect must happen once."""

    def decorator(handler: Handler) -> Callable[..., HttpResponse]:
        @functools.wraps(handler)
        def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
            key = parse_key(request, required=required)
            if key is None:
                return handler(view, request, *args, **kwargs)
            scope = {
                "actor_id": request.user.pk,
                "route": f"{request.method} {_route(request)}",
                "key": key,
            }
            request_fingerprint = fingerprint(request, kwargs)
            # A key already used answers at once: a client's retry never runs the work again
            # nor waits on the row locks, and another request under the key is 422 even if it
            # would not validate. This read only saves work; the insert below guarantees.
            if IdempotencyRecord.objects.filter(**scope).exists():
                return _replay(scope, request_fingerprint)
            claiming = False
            try:
                with transaction.atomic():
                    try:
                        response = handler(view, request, *args, **kwargs)
                    except DomainError as exc:
                        if exc.status_code != 409:
                            raise
                        response = exception_handler(exc, {})
                    body = JSONRenderer().render(response.data)
                    claiming = True
                    IdempotencyRecord.objects.create(
                        **scope,
                        fingerprint=request_fingerprint,
                        status_code=response.status_code,
                        response_body=body,
                    )
            except IntegrityError:
                if not claiming:
                    raise
                return _replay(scope, request_fingerprint)
            except OperationalError as exc:
                if not (claiming and _is_lock_timeout(exc)):
                    raise
                # The first request still holds the key: the lock timeout expired waiting for it.
                raise IdempotencyInProgress() from None
            # The first caller gets the very bytes a replay will return.
            return _json_response(body, response.status_code)

        return retried_after_deadlock(wrapper)

    return decorator


def purge_expired_keys(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Delete idempotency records older than settings.ECONOMY_IDEMPOTENCY_TTL; return how many.

    In batches of `batch_size` (each its own short statement, on the created_at index), so a
    large backlog never holds one long lock on the table. Idempotent: a second run finds
    nothing to delete. Once its record is gone a key may be used again, as a new request.
    """
    cutoff = (now or timezone.now()) - settings.ECONOMY_IDEMPOTENCY_TTL
    expired = IdempotencyRecord.objects.filter(created_at__lt=cutoff).order_by("created_at")
    deleted = 0
    while True:
        batch = list(expired.values_list("pk", flat=True)[:batch_size])
        if not batch:
            return deleted
        count, _ = IdempotencyRecord.objects.filter(pk__in=batch).delete()
        deleted += count
