from collections.abc import Sequence
from typing import cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from economy.accounts.models import User
from economy.accounts.permissions import IsSelfOrStaff, is_trusted
from economy.accounts.views import existing_user
from economy.catalog.models import Product
from economy.catalog.selectors import active_products
from economy.catalog.serializers import ProductQuerySerializer
from economy.common.idempotency import idempotent
from economy.common.schema import (
    AUTH_ERRORS,
    BODY_ERRORS,
    RETRY_AFTER_HEADER,
    errors,
    idempotency_key_header,
)
from economy.common.serializers import represent
from economy.common.throttling import FixedWindowThrottle

from . import examples, selectors, services
from .serializers import (
    InventorySerializer,
    PurchaseRequestSerializer,
    PurchaseSerializer,
    QuantityRequestSerializer,
    StoreProductSerializer,
    UseSerializer,
)

PURCHASE_REFUSALS = (
    "insufficient_funds, already_owned, product_unavailable, purchase_limit_reached, "
    "balance_limit_exceeded, quantity_not_allowed, idempotency_in_progress"
)
USE_REFUSALS = "not_in_inventory, insufficient_quantity, not_consumable, idempotency_in_progress"


def _with_allowances(products: Sequence[Product], request: Request) -> Sequence[Product]:
    """The products, each with the caller's allowance under a purchase limit (None: no limit)."""
    allowed = selectors.allowances(user_id=cast(User, request.user).pk, products=products)
    for product in products:
        product.allowance = allowed.get(product.pk)  # type: ignore[attr-defined]
    return products


@extend_schema(tags=["products"])
class ProductListView(generics.ListAPIView):
    """The catalog on sale now, by id, `?type=` consumable or permanent, page-numbered: bundles
    with what they grant, and the caller's allowance where a purchase limit applies. Products
    outside their availability window are not listed."""

    serializer_class = StoreProductSerializer

    @extend_schema(
        operation_id="products_list",
        parameters=[ProductQuerySerializer],
        responses={200: StoreProductSerializer(many=True), **errors(*AUTH_ERRORS, 400, 404)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # the products are always page-numbered
        serializer = self.get_serializer(_with_allowances(page, request), many=True)
        return self.get_paginated_response(serializer.data)

    def get_queryset(self) -> QuerySet[Product]:
        query = ProductQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        products = active_products()
        if "type" in query.validated_data:
            products = products.filter(type=query.validated_data["type"])
        return products


@extend_schema(tags=["products"])
class ProductDetailView(generics.RetrieveAPIView):
    """A product on sale now. Inactive ones, and those outside their window, are invisible here
    (404) but stay in the ledger and in inventories."""

    serializer_class = StoreProductSerializer
    lookup_url_kwarg = "product_id"

    @extend_schema(
        operation_id="products_retrieve",
        responses={200: StoreProductSerializer, **errors(*AUTH_ERRORS, 404)},
        examples=[examples.OFFER],
    )
    def get(self, request: Request, product_id: int) -> Response:
        (product,) = _with_allowances([self.get_object()], request)
        return Response(self.get_serializer(product).data)

    def get_queryset(self) -> QuerySet[Product]:
        return active_products()


def _acting_for(request: Request, user_id: int | None) -> int:
    """The player a purchase is for: the caller, or whoever staff or a trusted backend name."""
    caller = cast(User, request.user)  # authenticated: the permission checked it
    if user_id is None or user_id == caller.pk:
        return caller.pk
    if not is_trusted(request.user):
        raise PermissionDenied("Only staff and trusted backends may act for another player.")
    return existing_user(user_id).pk


class PurchaseThrottle(FixedWindowThrottle):
    """Purchases count against the caller. Staff and trusted backends acting for players are
    counted per player, so a game server buying for everyone is not one shared budget; a
    player naming someone else is still counted as itself (and refused with 403)."""

    scope = "purchase"

    def caller(self, request: Request, view: APIView) -> str:
        data = request.data
        target = data.get("user_id") if isinstance(data, dict) else None
        acting_for_other = (
            isinstance(target, int) and not isinstance(target, bool) and target != request.user.pk
        )
        if acting_for_other and is_trusted(request.user):
            return f"{request.user.pk}:{target}"
        return str(request.user.pk)


class UseThrottle(FixedWindowThrottle):
    scope = "use"


@extend_schema(tags=["inventory"])
class PurchaseView(APIView):
    """Buying a product: the game client's money path."""

    throttle_classes = [PurchaseThrottle]

    @extend_schema(
        operation_id="products_purchase",
        request=PurchaseRequestSerializer,
        parameters=[idempotency_key_header(required=False), RETRY_AFTER_HEADER],
        responses={
            201: PurchaseSerializer,
            **errors(*AUTH_ERRORS, *BODY_ERRORS, 403, 404, 409, 422, **{"409": PURCHASE_REFUSALS}),
        },
        examples=[examples.BUNDLE_PURCHASE, examples.TIME_LIMITED_PURCHASE, examples.LIMIT_REACHED],
    )
    @idempotent(required=False)
    def post(self, request: Request, product_id: int) -> Response:
        body = PurchaseRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.purchase_product(
            user_id=_acting_for(request, body.validated_data.get("user_id")),
            product_id=product_id,
            quantity=body.validated_data["quantity"],
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        return Response(represent(PurchaseSerializer, result), status=status.HTTP_201_CREATED)


@extend_schema(tags=["inventory"])
class UseView(APIView):
    """Using units of a consumable the caller holds."""

    throttle_classes = [UseThrottle]

    @extend_schema(
        operation_id="products_use",
        request=QuantityRequestSerializer,
        parameters=[idempotency_key_header(required=False), RETRY_AFTER_HEADER],
        responses={
            200: UseSerializer,
            **errors(*AUTH_ERRORS, *BODY_ERRORS, 404, 409, 422, **{"409": USE_REFUSALS}),
        },
        examples=[examples.BOOST_USED],
    )
    @idempotent(required=False)
    def post(self, request: Request, product_id: int) -> Response:
        body = QuantityRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        use = services.use_product(
            user_id=cast(User, request.user).pk,
            product_id=product_id,
            quantity=body.validated_data["quantity"],
        )
        return Response(represent(UseSerializer, use))


@extend_schema(tags=["inventory"])
class InventoryView(APIView):
    permission_classes = [IsAuthenticated, IsSelfOrStaff]

    @extend_schema(
        operation_id="users_inventory",
        responses={200: InventorySerializer, **errors(*AUTH_ERRORS, 403, 404)},
        examples=[examples.INVENTORY],
    )
    def get(self, request: Request, user_id: int) -> Response:
        """Consumables with their quantity and running effect, permanents with their expiry,
        and the effects active now; expired items are never listed. From the cache when it
        can."""
        if user_id != request.user.pk:  # staff: the player must exist
            existing_user(user_id)
        return Response(selectors.inventory_for_user(user_id=user_id))
