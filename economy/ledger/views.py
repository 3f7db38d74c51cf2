from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from economy.accounts.models import User
from economy.accounts.permissions import (
    CanAddFunds,
    IsSelfOrStaff,
    IsSelfOrTrusted,
    IsTrusted,
    can_access_user,
    is_trusted,
)
from economy.accounts.views import existing_user
from economy.catalog import selectors as catalog
from economy.catalog.models import Currency
from economy.common import replicas
from economy.common.exceptions import CurrencyUnavailable
from economy.common.idempotency import idempotent
from economy.common.pagination import Position, keyset_page
from economy.common.schema import (
    AUTH_ERRORS,
    errors,
    money_write,
)
from economy.common.serializers import represent
from economy.common.throttling import FixedWindowThrottle

from . import analytics, holds, selectors, services
from .models import Hold
from .serializers import (
    AddFundsRequestSerializer,
    BalanceChangeSerializer,
    CaptureRequestSerializer,
    HoldChangeSerializer,
    HoldPageSerializer,
    HoldQuerySerializer,
    HoldRequestSerializer,
    HoldSerializer,
    PopularProductsQuerySerializer,
    PopularProductsSerializer,
    ProfileSerializer,
    SpendRequestSerializer,
    TransactionPageSerializer,
    TransactionQuerySerializer,
    TransactionSerializer,
    VoidRequestSerializer,
)

ADD_FUNDS_REFUSALS = "balance_limit_exceeded, currency_unavailable, idempotency_in_progress"
SPEND_REFUSALS = "insufficient_funds, currency_unavailable, idempotency_in_progress"
PLACE_REFUSALS = (
    "insufficient_funds, invalid_expiry, invalid_destination, currency_unavailable, "
    "idempotency_in_progress"
)
CAPTURE_REFUSALS = (
    "hold_not_pending, amount_exceeds_hold, invalid_destination, balance_limit_exceeded, "
    "idempotency_in_progress"
)
VOID_REFUSALS = "hold_not_pending, idempotency_in_progress"


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


class HoldThrottle(PerBackendAndPlayerThrottle):
    scope = "holds"


class HoldEndThrottle(FixedWindowThrottle):
    """Counted per (caller, hold): a game server ends many holds at once when a match ends."""

    scope = "hold-end"

    def caller(self, request: Request, view: APIView) -> str:
        return f"{request.user.pk}:{view.kwargs['hold_id']}"


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

    @money_write(
        operation_id="users_add_funds",
        request=AddFundsRequestSerializer,
        response=BalanceChangeSerializer,
        refusals=ADD_FUNDS_REFUSALS,
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

    @money_write(
        operation_id="users_spend",
        request=SpendRequestSerializer,
        response=BalanceChangeSerializer,
        refusals=SPEND_REFUSALS,
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
    @replicas.reads_from_replica
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
        page = keyset_page(request, rows, after=after, size=size)
        results = [represent(TransactionSerializer, row) for row in page["results"]]
        return Response({**page, "results": results})


def _hold_change(change: holds.HoldChange, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(represent(HoldChangeSerializer, change), status=status_code)


@extend_schema(tags=["holds"])
class HoldListView(APIView):
    """A player's holds: placed by trusted backends, read by them and by the player."""

    permission_classes = [IsAuthenticated, IsSelfOrTrusted]

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated(), IsTrusted()]
        return list(super().get_permissions())

    def get_throttles(self) -> list[Any]:
        return [HoldThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="users_holds",
        parameters=[HoldQuerySerializer],
        responses={200: HoldPageSerializer, **errors(*AUTH_ERRORS, 400, 403, 404)},
    )
    @replicas.reads_from_replica
    def get(self, request: Request, user_id: int) -> Response:
        """Newest first, keyset-paginated (`next`, `previous`), filtered by status."""
        query = HoldQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if user_id != request.user.pk:
            existing_user(user_id)
        after = Position.decode(params["cursor"]) if "cursor" in params else None
        size = params["page_size"]
        rows = selectors.holds_of(
            user_id=user_id, status=params.get("status"), after=after, size=size + 1
        )
        page = keyset_page(request, rows, after=after, size=size)
        return Response({**page, "results": HoldSerializer(page["results"], many=True).data})

    @money_write(
        operation_id="users_place_hold",
        request=HoldRequestSerializer,
        response=HoldChangeSerializer,
        refusals=PLACE_REFUSALS,
    )
    @idempotent(required=True)
    def post(self, request: Request, user_id: int) -> Response:
        """Reserve `amount` of the player's available currency: it moves into `held` until the
        hold is captured, voided or expires (then as `on_expiry` says)."""
        body = HoldRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        params = body.validated_data
        now = timezone.now()
        expires_at = params.get("expires_at") or now + timedelta(
            seconds=params.get("expires_in", settings.ECONOMY_HOLD_DEFAULT_SECONDS)
        )
        try:
            change = holds.place_hold(
                user_id=user_id,
                amount=params["amount"],
                currency=currency_named(params.get("currency")),
                expires_at=expires_at,
                on_expiry=params["on_expiry"],
                destination=params["destination"],
                reference=params["reference"],
                actor=cast(User, request.user),
                idempotency_key=request.headers["Idempotency-Key"],
                now=now,
            )
        except User.DoesNotExist:
            raise NotFound("No such user.") from None
        return _hold_change(change, status.HTTP_201_CREATED)


@extend_schema(tags=["holds"])
class HoldDetailView(APIView):
    """One hold: for trusted backends, staff viewing users, and its own player."""

    @extend_schema(
        operation_id="holds_retrieve",
        responses={200: HoldSerializer, **errors(*AUTH_ERRORS, 403, 404)},
    )
    def get(self, request: Request, hold_id: int) -> Response:
        return Response(represent(HoldSerializer, self._visible_hold(request, hold_id)))

    # APIView's own signature, which django-stubs' View types with an HttpRequest.
    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        # Refused as GET is: another player's hold is theirs to see, OPTIONS included.
        self._visible_hold(request, kwargs["hold_id"])
        return super().options(request, *args, **kwargs)

    def _visible_hold(self, request: Request, hold_id: int) -> Hold:
        hold = selectors.hold(hold_id)
        if hold is None:
            raise NotFound("No such hold.")
        if not (is_trusted(request.user) or can_access_user(request.user, hold.user_id)):
            raise PermissionDenied("You may only access your own holds.")
        return hold


@extend_schema(tags=["holds"])
class HoldCaptureView(APIView):
    permission_classes = [IsAuthenticated, IsTrusted]
    throttle_classes = [HoldEndThrottle]

    @money_write(
        operation_id="holds_capture",
        request=CaptureRequestSerializer,
        response=HoldChangeSerializer,
        refusals=CAPTURE_REFUSALS,
        status_code=200,
    )
    @idempotent(required=True)
    def post(self, request: Request, hold_id: int) -> Response:
        """Pay `amount` (all of it by default) to the hold's destination, or to `destination`
        when the outcome decides who is paid (a match's winner); release the rest."""
        body = CaptureRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = holds.capture_hold(
            hold_id=hold_id,
            amount=body.validated_data.get("amount"),
            destination=body.validated_data.get("destination"),
            actor=cast(User, request.user),
        )
        return _hold_change(change)


@extend_schema(tags=["holds"])
class HoldVoidView(APIView):
    permission_classes = [IsAuthenticated, IsTrusted]
    throttle_classes = [HoldEndThrottle]

    @money_write(
        operation_id="holds_void",
        request=VoidRequestSerializer,
        response=HoldChangeSerializer,
        refusals=VOID_REFUSALS,
        status_code=200,
    )
    @idempotent(required=True)
    def post(self, request: Request, hold_id: int) -> Response:
        """Release all of the hold to its player."""
        body = VoidRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = holds.void_hold(
            hold_id=hold_id, reason=body.validated_data["reason"], actor=cast(User, request.user)
        )
        return _hold_change(change)


@extend_schema(tags=["analytics"])
class PopularProductsView(APIView):
    """Top products by completed purchases in the last `days` days, cached for an hour."""

    @extend_schema(
        operation_id="analytics_popular_products",
        parameters=[PopularProductsQuerySerializer],
        responses={200: PopularProductsSerializer, **errors(*AUTH_ERRORS, 400)},
    )
    @replicas.reads_from_replica
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
