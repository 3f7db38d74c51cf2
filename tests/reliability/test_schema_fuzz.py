"""Schema-driven fuzzing: every operation of the service's own OpenAPI schema, as a player and as
a trusted backend (hashed API tokens), as a player signed in with the studio's JWT (Bearer) and
as a player with a legacy key, with data generated from the schema (valid and invalid).

Each response must be no 5xx, carry a documented status code and content type, and match the
documented body schema (errors included). The test talks to the real WSGI application in
process, on a `transaction=True` database, so every request commits as in production.
"""

import collections
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import schemathesis
from django.contrib.auth.models import Permission
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from economy.accounts.services import issue_token, player_for_identity
from economy.ledger.services import adjust_balance
from tests.factories import (
    CurrencyFactory,
    PermanentProductFactory,
    ProductFactory,
    TokenFactory,
    UserFactory,
    default_currency,
)
from tests.support.studio import studio_token

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    positive_data_acceptance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
)
MAX_EXAMPLES = 25
# Kept small so a failure report stays readable; the summary counts them all.
FAILURES_SHOWN_PER_CHECK = 2


@dataclass
class Summary:
    """Per (actor, operation, variant): how many cases ran and how each check fared."""

    cases: collections.Counter = field(default_factory=collections.Counter)
    passed: collections.Counter = field(default_factory=collections.Counter)
    failed: collections.Counter = field(default_factory=collections.Counter)
    statuses: dict = field(default_factory=lambda: collections.defaultdict(collections.Counter))
    seconds: collections.Counter = field(default_factory=collections.Counter)
    examples: list = field(default_factory=list)

    def record(self, row, case, response):
        self.cases[row] += 1
        self.statuses[row][response.status_code] += 1
        for check in CHECKS:
            try:
                case.validate_response(response, checks=[check])
            except FailureGroup as exc:
                self.failed[row, check.__name__] += 1
                if self.failed[row, check.__name__] <= FAILURES_SHOWN_PER_CHECK:
                    self.examples.append(f"{' '.join(row)} [{check.__name__}]\n{exc.message}")
            else:
                self.passed[row, check.__name__] += 1

    def table(self) -> Iterator[str]:
        yield (
            f"{'actor':8} {'operation':44} {'variant':9} {'cases':>5} {'secs':>5}  "
            "checks ok/failed  statuses"
        )
        for row, count in sorted(self.cases.items()):
            checks = " ".join(
                f"{check.__name__.split('_')[0]}={self.passed[row, check.__name__]}"
                f"/{self.failed[row, check.__name__]}"
                for check in CHECKS
            )
            statuses = ",".join(f"{code}x{n}" for code, n in sorted(self.statuses[row].items()))
            yield (
                f"{row[0]:8} {row[1]:44} {row[2]:9} {count:>5} {self.seconds[row]:5.1f}  "
                f"{checks}  {statuses}"
            )
        total = sum(self.failed.values())
        yield f"{sum(self.cases.values())} cases, {total} check failures"


@pytest.fixture
def world(settings, studio_secret):
    """Accounts and a catalog, so known ids reach the real code paths (201, 409...)."""
    # The fuzz must not depend on whether rate limiting is on in this environment.
    settings.RATELIMIT_ENABLE = False
    settings.DEBUG = False
    # A second currency, with limits: profiles then show a wallet not opened yet, and
    # /currencies more than the default.
    CurrencyFactory(code="gems", name="Gems", initial_grant=10, max_balance=1000)
    player = UserFactory(username="fuzz-player", funds=50_000)
    backend = UserFactory(username="fuzz-backend")
    backend.user_permissions.add(Permission.objects.get(codename="add_funds"))
    consumable = ProductFactory(name="Fuzz potion", price=10)
    permanent = PermanentProductFactory(name="Fuzz skin", price=100)
    ProductFactory(name="Retired", price=10, is_active=False)
    jwt_player, _ = player_for_identity(provider=settings.ECONOMY_JWT_PROVIDER, subject="fuzz")
    adjust_balance(
        user_id=jwt_player.pk, amount=50_000, currency=default_currency(), reason="test funds"
    )
    legacy = UserFactory(username="fuzz-legacy", funds=50_000)
    return {
        "player": (player, f"Token {issue_token(user=player, ttl=timedelta(hours=1))[1]}"),
        "backend": (backend, f"Token {issue_token(user=backend, ttl=None)[1]}"),
        "jwt": (jwt_player, f"Bearer {studio_token(studio_secret, sub='fuzz', expires_in=3600)}"),
        "legacy": (legacy, f"Token {TokenFactory(user=legacy).key}"),
        "product_ids": (consumable.pk, permanent.pk),
    }


@pytest.fixture
def schema(world):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    # The caller's identity is the test's choice: no generated Authorization header.
    schema.config.generation.update(with_security_parameters=False)
    return schema


def _known_ids(operation, world, user):
    """Path parameters that exist, for the variant that exercises the real code paths."""
    params = {}
    names = {p.name for p in operation.path_parameters}
    if "user_id" in names:
        params["user_id"] = user.pk
    if "product_id" in names:
        params["product_id"] = world["product_ids"][0]
    return params


def _fuzz_operation(operation, *, actor, world, summary, headers):
    user = world[actor][0]
    label = operation.label
    variants = [("random", GenerationMode.POSITIVE, {})]
    known = _known_ids(operation, world, user)
    if known:
        variants.append(("known-ids", GenerationMode.POSITIVE, known))
    variants.append(("negative", GenerationMode.NEGATIVE, {}))

    for variant, mode, path_parameters in variants:
        strategy = operation.as_strategy(
            generation_mode=mode, path_parameters=path_parameters or None
        )
        started = time.monotonic()
        _run_cases(strategy, row=(actor, label, variant), summary=summary, headers=headers)
        summary.seconds[actor, label, variant] += time.monotonic() - started


def _run_cases(strategy, *, row, summary, headers):
    # No shrinking: the summary records every failing case, with a curl line to replay it.
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        if (
            case.headers
            and "Idempotency-Key" in case.headers
            and case.meta.generation.mode.is_positive
        ):
            # A client sends a fresh key per request; a generated one may repeat an earlier
            # case's, which is then 422 idempotency_key_reused, as the header's rule says.
            case.headers["Idempotency-Key"] = uuid.uuid4().hex
        summary.record(row, case, case.call(headers=headers))

    try:
        run()
    except Unsatisfiable:
        # Negative mode on an operation with nothing to get wrong (no parameter, no body).
        summary.cases[row] += 0


@pytest.mark.parametrize("actor", ["player", "backend", "jwt", "legacy"])
def test_every_operation_answers_as_documented(actor, world, schema, capsys):
    """No 5xx; every status, content type and body (errors too) as the schema documents."""
    summary = Summary()
    headers = {"Authorization": world[actor][1]}
    # Logging out revokes the actor's token: those operations go last.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: operation.label.startswith("POST /api/v1/auth/logout"),
    )
    labels = {op.label for op in operations}
    assert len(operations) >= 14, sorted(labels)
    # The money paths and the catalog's reads, the newest included, are all in the schema.
    assert {
        "GET /api/v1/currencies",
        "GET /api/v1/products",
        "GET /api/v1/users/me",
        "GET /api/v1/users/{user_id}/transactions",
        "POST /api/v1/products/{product_id}/purchase",
        "POST /api/v1/users/{user_id}/add-funds",
        "POST /api/v1/users/{user_id}/spend",
    } <= labels, sorted(labels)
    # 4xx answers are the point here; keep the log for 5xx (logged at ERROR).
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        for operation in operations:
            _fuzz_operation(operation, actor=actor, world=world, summary=summary, headers=headers)
    finally:
        request_log.setLevel(level)

    report = "\n".join(summary.table())
    with capsys.disabled():
        print(f"\n--- schemathesis as {actor} ---\n{report}")
    never_called = sorted(label for label in labels if not summary.cases[actor, label, "random"])
    assert never_called == [], report
    assert not summary.failed, report + "\n\n" + "\n".join(summary.examples)
