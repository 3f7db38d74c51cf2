from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from economy.accounts.permissions import CanAddFunds, IsSelfOrStaff
from economy.common.idempotency import idempotent
from economy.common.pagination import NewestFirstCursorPagination
from economy.common.schema import AUTH_ERRORS, errors, idempotency_key_header

from . import selectors, services
from .filters import TransactionFilter
from .models import Transaction
from .serializers import AddFundsRequestSerializer, BalanceChangeSerializer, TransactionSerializer

User = get_user_model()


@extend_schema(tags=["ledger"])
class AddFundsViewSet(viewsets.ViewSet):
    """Credits from trusted backends (the payments backend) and staff."""

    permission_classes = [IsAuthenticated, CanAddFunds]

    @extend_schema(
        operation_id="users_add_funds",
        request=AddFundsRequestSerializer,
        parameters=[idempotency_key_header(required=True)],
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
            BalanceChangeSerializer(change._asdict()).data, status=status.HTTP_201_CREATED
        )


@extend_schema(
    tags=["ledger"],
    responses={200: TransactionSerializer(many=True), **errors(*AUTH_ERRORS, 400, 403)},
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
