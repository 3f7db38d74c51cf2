from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from economy.accounts.models import User
from economy.accounts.permissions import CanAddFunds, IsSelfOrStaff
from economy.accounts.views import existing_user
from economy.catalog import selectors as catalog
from economy.catalog.models import Currency
from economy.common.exceptions import CurrencyUnavailable
from economy.common.idempotency import idempotent
from economy.common.pagination import Position
from economy.common.schema import (
    AUTH_ERRORS,
    BODY_ERRORS,
    RETRY_AFTER_HEADER,
    errors,
    idempotency_key_header,
)
from economy.common.serializers import represent
from economy.common.throttling import FixedWindowThrottle

from . import analytics, selectors, services
from .serializers import (
    AddFundsRequestSerializer,
    BalanceChangeSerializer,
    PopularProductsQuerySerializer,
    PopularProductsSerializer,
    ProfileSerializer,
    SpendRequestSerializer,
    TransactionPageSerializer,
    TransactionQuerySerializer,
    TransactionSerializer,
)

ADD_FUNDS_REFUSALS = "balance_limit_exceeded, currency_unavailable, idempotency_in_progress"
SPEND_REFUSALS = "insufficient_funds, currency_unavailable, idempotency_in_progress"


def currency_named(code: str | None) -> Currency:
    """The active currency of a request's `currency` field, or the default one; else 409
    `currency_unavailable` (the code is well formed: what it names is missing)."""
    try:
        return catalog.get_currency(code)
    except Currency.DoesNotExist:
        raise CurrencyUnavailable(f"No active currency {code!r}.", currency=code) from None


class PerBackendAndPlayerThrottle(FixedWindowThrottle):
    """Counted per (caller, player): the payments backend credits every player, so one budget
    for the caller alone would cap all the game's top-ups at the rate."""

    def caller(self, request: Request, view: APIView) -> str:
        return f"{request.user.pk}:{view.kwargs['user_id']}"


class AddFundsThrottle(PerBackendAndPlayerThrottle):
    scope = "add-funds"


class SpendThrottle(PerBackendAndPlayerThrottle):
    scope = "spend"


def _profile(user: User) -> dict[str, Any]:
    balances = selectors.balances_of(user_id=user.pk)
    default = catalog.get_currency(None)
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "created_at": user.created_at,
        "balance": balances[default.code]["balance"],
        "balances": balances,
    }


@extend_schema(tags=["users"])
class MyProfileView(APIView):
    """The caller's profile: `balance` in the default currency and `balances` in every one."""

    @extend_schema(
        operation_id="users_me", responses={200: ProfileSerializer, **errors(*AUTH_ERRORS)}
    )
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(_profile(existing_user(request.user.pk or 0))).data)


@extend_schema(tags=["users"])
class ProfileView(APIView):
    """A player's profile: the player itself, or staff allowed to view users."""

    permission_classes = [IsAuthenticated, IsSelfOrStaff]

    @extend_schema(
        operation_id="users_retrieve",
        responses={200: ProfileSerializer, **errors(*AUTH_ERRORS, 403, 404)},
    )
    def get(self, request: Request, user_id: int) -> Response:
        return Response(ProfileSerializer(_profile(existing_user(user_id))).data)


def _balance_change(change: services.BalanceChange) -> Response:
    return Response(represent(BalanceChangeSerializer, change), status=status.HTTP_201_CREATED)


@extend_schema(tags=["ledger"])
class AddFundsView(APIView):
    """Credits from trusted backends (the payments backend) and support staff:
    faucet:deposits -> the player."""

    permission_classes = [IsAuthenticated, CanAddFunds]
    throttle_classes = [AddFundsThrottle]

    @extend_schema(
        operation_id="users_add_funds",
        request=AddFundsRequestSerializer,
        parameters=[idempotency_key_header(required=True), RETRY_AFTER_HEADER],
        responses={
            201: BalanceChangeSerializer,
            **errors(*AUTH_ERRORS, *BODY_ERRORS, 403, 404, 409, 422, **{"409": ADD_FUNDS_REFUSALS}),
        },
    )
    @idempotent(required=True)
    def post(self, request: Request, user_id: int) -> Response:
        body = AddFundsRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            change = services.add_funds(
                user_id=user_id,
                amount=body.validated_data["amount"],
                currency=currency_named(body.validated_data.get("currency")),
                actor=cast(User, request.user),
                idempotency_key=request.headers["Idempotency-Key"],
            )
        except User.DoesNotExist:
            raise NotFound("No such user.") from None
        return _balance_change(change)


@extend_schema(tags=["ledger"])
class SpendView(APIView):
    """Debits from trusted backends for sinks that are not catalog purchases (an entry fee,
    crafting, a revive): the player -> a sink."""

    permission_classes = [IsAuthenticated, CanAddFunds]
    throttle_classes = [SpendThrottle]

    @extend_schema(
        operation_id="users_spend",
        request=SpendRequestSerializer,
        parameters=[idempotency_key_header(required=True), RETRY_AFTER_HEADER],
        responses={
            201: BalanceChangeSerializer,
            **errors(*AUTH_ERRORS, *BODY_ERRORS, 403, 404, 409, 422, **{"409": SPEND_REFUSALS}),
        },
    )
    @idempotent(required=True)
    def post(self, request: Request, user_id: int) -> Response:
        body = SpendRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            change = services.spend(
                user_id=user_id,
                amount=body.validated_data["amount"],
                currency=currency_named(body.validated_data.get("currency")),
                sink=body.validated_data["sink"],
                reason=body.validated_data["reason"],
                actor=cast(User, request.user),
                idempotency_key=request.headers["Idempotency-Key"],
            )
        except User.DoesNotExist:
            raise NotFound("No such user.") from None
        return _balance_change(change)


@extend_schema(tags=["ledger"])
class TransactionListView(APIView):
    """A player's ledger, newest first: the rows it is the player of, and what other players
    paid it. Keyset-paginated (`next`, `previous`), filtered by kind, status and currency."""

    permission_classes = [IsAuthenticated, IsSelfOrStaff]

    @extend_schema(
        operation_id="users_transactions",
        parameters=[TransactionQuerySerializer],
        responses={200: TransactionPageSerializer, **errors(*AUTH_ERRORS, 400, 403, 404)},
    )
    def get(self, request: Request, user_id: int) -> Response:
        query = TransactionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if user_id != request.user.pk:  # staff: the player must exist
            existing_user(user_id)
        after = Position.decode(params["cursor"]) if "cursor" in params else None
        size = params["page_size"]
        rows = selectors.history(
            user_id=user_id,
            kind=params.get("kind"),
            status=params.get("status"),
            currency=params.get("currency"),
            after=after,
            size=size + 1,
        )
        # One row more than the page tells whether there is a page beyond it.
        going_newer = after is not None and after.newer
        more = len(rows) > size
        rows = rows[1:] if (more and going_newer) else rows[:size]
        older = more or going_newer
        newer = after is not None and (more or not going_newer)
        return Response(
            {
                "next": self._link(request, rows[-1], newer=False) if rows and older else None,
                "previous": self._link(request, rows[0], newer=True) if rows and newer else None,
                "results": TransactionSerializer(rows, many=True).data,
            }
        )

    @staticmethod
    def _link(request: Request, row: Any, *, newer: bool) -> str:
        query = request.query_params.copy()
        query["cursor"] = Position(row.created_at, row.pk, newer).encode()
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@extend_schema(tags=["analytics"])
class PopularProductsView(APIView):
    """Top products by completed purchases in the last `days` days, cached for an hour."""

    @extend_schema(
        operation_id="analytics_popular_products",
        parameters=[PopularProductsQuerySerializer],
        responses={200: PopularProductsSerializer, **errors(*AUTH_ERRORS, 400)},
    )
    def get(self, request: Request) -> Response:
        """Ranked by number of completed purchases, ties by units bought, then by product id.
        Only products still on sale are listed. Figures may be up to an hour old."""
        query = PopularProductsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days, limit = query.validated_data["days"], query.validated_data["limit"]
        results = analytics.popular_products(days=days, limit=limit)
        return Response(
            represent(PopularProductsSerializer, {"days": days, "limit": limit, "results": results})
        )
