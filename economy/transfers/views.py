from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from economy.accounts.models import User
from economy.accounts.permissions import IsSelfOrTrusted, is_trusted
from economy.accounts.views import existing_user
from economy.catalog.models import Product
from economy.common import replicas
from economy.common.idempotency import idempotent
from economy.common.pagination import Position, keyset_page
from economy.common.schema import (
    AUTH_ERRORS,
    errors,
    money_write,
)
from economy.common.serializers import represent
from economy.common.throttling import FixedWindowThrottle
from economy.ledger.views import currency_named

from . import selectors, services
from .serializers import (
    CurrencyTransferSerializer,
    ItemTransferSerializer,
    TransferPageSerializer,
    TransferQuerySerializer,
    TransferRequestSerializer,
    TransferResultSerializer,
    TransferSerializer,
    transfer_request,
)

TRANSFER_REFUSALS = (
    "not_transferable (`details.reason`: `same_user`, a transfer to oneself; `not_giftable`, a "
    "player's transfer of a currency or product content managers did not mark giftable; "
    "`daily_limit_reached`, over the currency's daily limit), insufficient_funds, "
    "balance_limit_exceeded, currency_unavailable, not_in_inventory, insufficient_quantity, "
    "already_owned, quantity_not_allowed, idempotency_in_progress"
)
TRANSFER_ERRORS = {
    "400": "validation_error (details per field; a body naming both or neither of `amount` and "
    "`product`), idempotency_key_missing, idempotency_key_invalid",
    "403": "permission_denied (a player sending from another user)",
    "404": "not_found (an unknown user or product)",
    "409": TRANSFER_REFUSALS,
}


class TransferThrottle(FixedWindowThrottle):
    """Counted per caller. A trusted backend is counted per (caller, sender): a game server
    settles every player's trades, so one budget for the caller alone would cap them all."""

    scope = "transfers"

    def caller(self, request: Request, view: APIView) -> str:
        data = request.data
        sender = data.get("from_user") if isinstance(data, dict) else None
        if isinstance(sender, int) and not isinstance(sender, bool) and is_trusted(request.user):
            return f"{request.user.pk}:{sender}"
        return str(request.user.pk)


@extend_schema(tags=["transfers"])
class TransferView(APIView):
    """Moving currency or items from one player to another, both sides or neither."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [TransferThrottle]

    @money_write(
        operation_id="transfers_create",
        request=TransferRequestSerializer,
        response=TransferResultSerializer,
        refusals=TRANSFER_REFUSALS,
    )
    @idempotent(required=True)
    def post(self, request: Request) -> Response:
        """`{"from_user", "to_user", "amount", "currency"}` moves currency: one `transfer` ledger
        row from the sender's wallet to the receiver's. `{"from_user", "to_user", "product",
        "quantity"}` moves items between their inventories. Trusted backends move anything
        between anyone; a player sends only from itself (403 otherwise), only what content
        managers marked giftable, and a currency only up to its daily limit per UTC day."""
        body = transfer_request(request.data)
        actor = cast(User, request.user)  # authenticated: the permission checked it
        trusted = is_trusted(actor)
        if not trusted and body["from_user"] != actor.pk:
            raise PermissionDenied("A player may send only from itself.")
        parties: dict[str, Any] = {
            "from_user_id": body["from_user"],
            "to_user_id": body["to_user"],
            "actor": actor,
            "trusted": trusted,
            "reason": body["reason"],
            "idempotency_key": request.headers["Idempotency-Key"],
        }
        try:
            if "amount" in body:
                moved = services.transfer_currency(
                    currency=currency_named(body.get("currency")),
                    amount=body["amount"],
                    **parties,
                )
                data = represent(CurrencyTransferSerializer, moved)
            else:
                items = services.transfer_items(
                    product_id=body["product"], quantity=body["quantity"], **parties
                )
                data = represent(ItemTransferSerializer, items)
        except User.DoesNotExist:
            raise NotFound("No such user.") from None
        except Product.DoesNotExist:
            raise NotFound("No such product.") from None
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["transfers"])
class UserTransferListView(APIView):
    """The transfers a player sent or received, newest first, keyset-paginated (`next`,
    `previous`): for the player, staff viewing users, and trusted backends."""

    permission_classes = [IsAuthenticated, IsSelfOrTrusted]

    @extend_schema(
        operation_id="users_transfers",
        parameters=[TransferQuerySerializer],
        responses={200: TransferPageSerializer, **errors(*AUTH_ERRORS, 400, 403, 404)},
    )
    @replicas.reads_from_replica
    def get(self, request: Request, user_id: int) -> Response:
        query = TransferQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if user_id != request.user.pk:  # staff and backends: the player must exist
            existing_user(user_id)
        after = Position.decode(params["cursor"]) if "cursor" in params else None
        size = params["page_size"]
        rows = selectors.transfers_of(user_id=user_id, after=after, size=size + 1)
        page = keyset_page(request, rows, after=after, size=size)
        return Response({**page, "results": TransferSerializer(page["results"], many=True).data})
