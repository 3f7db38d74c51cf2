from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from economy.accounts.permissions import CanAddFunds, IsSelfOrStaff
from economy.common.idempotency import idempotent
from economy.common.pagination import NewestFirstCursorPagination
from economy.common.schema import (
    AUTH_ERRORS,
    RETRY_AFTER_HEADER,
    errors,
    idempotency_key_header,
)
from economy.common.throttling import FixedWindowThrottle

from . import analytics, selectors, services
from .filters import TransactionFilter
from .models import Transaction
from .serializers import (
    AddFundsRequestSerializer,
    BalanceChangeSerializer,
    PopularProductsQuerySerializer,
    PopularProductsSerializer,
    TransactionSerializer,
)

User = get_user_model()

# One output serializer per process (see inventory.views: fields are deep-copied per instance).
_BALANCE_CHANGE_OUTPUT = BalanceChangeSerializer()


class AddFundsThrottle(FixedWindowThrottle):
    """Counted per (caller, credited player): the payments backend credits every player, so
    one budget for the caller alone would cap all the game's top-ups at the rate."""

    scope = "add-funds"

    def caller(self, request: Request, view: APIView) -> str:
        return f"{request.user.pk}:{view.kwargs['user_id']}"


@extend_schema(tags=["ledger"])
class AddFundsViewSet(viewsets.ViewSet):
    """Credits from trusted backends (the payments backend) and staff."""

    permission_classes = [IsAuthenticated, CanAddFunds]
    throttle_classes = [AddFundsThrottle]

    @extend_schema(
        operation_id="users_add_funds",
        request=AddFundsRequestSerializer,
        parameters=[idempotency_key_header(required=True), RETRY_AFTER_HEADER],
        responses={
            201: BalanceChangeSerializer,
            **errors(*AUTH_ERRORS, 400, 403, 404, 409, 422, **{"409": "idempotency_in_progress"}),
        },
    )
    @idempotent(required=True)
    def create(self, request, user_id):
        serializer = AddFundsRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            change = services.add_funds(
                user_id=user_id,
                amount=serializer.validated_data["amount"],
                actor=request.user,
                idempotency_key=request.headers["Idempotency-Key"],
            )
        except User.DoesNotExist:
            raise NotFound("No such user.") from None
        return Response(
            _BALANCE_CHANGE_OUTPUT.to_representation(change._asdict()),
            status=status.HTTP_201_CREATED,
        )


@extend_schema(
    tags=["ledger"],
    responses={200: TransactionSerializer(many=True), **errors(*AUTH_ERRORS, 400, 403, 404)},
)
class TransactionListView(generics.ListAPIView):
    """A user's ledger, newest first, cursor-paginated, filtered by `kind` and `status`."""

    permission_classes = [IsAuthenticated, IsSelfOrStaff]
    serializer_class = TransactionSerializer
    pagination_class = NewestFirstCursorPagination
    filterset_class = TransactionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user_id
            return Transaction.objects.none()
        return selectors.transactions_for_user(user_id=self.kwargs["user_id"])


@extend_schema(tags=["analytics"])
class PopularProductsView(APIView):
    """Top products by completed purchases in the last `days` days, cached for an hour."""

    @extend_schema(
        operation_id="analytics_popular_products",
        parameters=[PopularProductsQuerySerializer],
        responses={200: PopularProductsSerializer, **errors(*AUTH_ERRORS, 400)},
    )
    def get(self, request):
        """Ranked by number of completed purchases, ties by units bought, then by product id.
        Only products still on sale are listed. Figures may be up to an hour old."""
        query = PopularProductsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days, limit = query.validated_data["days"], query.validated_data["limit"]
        results = analytics.popular_products(days=days, limit=limit)
        return Response(
            PopularProductsSerializer({"days": days, "limit": limit, "results": results}).data
        )
