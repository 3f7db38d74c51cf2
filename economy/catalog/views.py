from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from economy.common.schema import AUTH_ERRORS, errors

from .models import Currency, Product
from .selectors import active_currencies, active_products
from .serializers import CurrencySerializer, ProductQuerySerializer, ProductSerializer


@extend_schema(tags=["products"])
class ProductListView(generics.ListAPIView):
    """The active catalog, by id, `?type=` consumable or permanent, page-numbered."""

    serializer_class = ProductSerializer

    @extend_schema(
        operation_id="products_list",
        parameters=[ProductQuerySerializer],
        responses={200: ProductSerializer(many=True), **errors(*AUTH_ERRORS, 400, 404)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def get_queryset(self) -> QuerySet[Product]:
        query = ProductQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        products = active_products()
        if "type" in query.validated_data:
            products = products.filter(type=query.validated_data["type"])
        return products


@extend_schema(tags=["products"])
class ProductDetailView(generics.RetrieveAPIView):
    """An active product. Inactive ones are invisible here (404) but stay in the ledger."""

    serializer_class = ProductSerializer
    lookup_url_kwarg = "product_id"

    @extend_schema(
        operation_id="products_retrieve",
        responses={200: ProductSerializer, **errors(*AUTH_ERRORS, 404)},
    )
    def get(self, request: Request, product_id: int) -> Response:
        return super().get(request, product_id=product_id)

    def get_queryset(self) -> QuerySet[Product]:
        return active_products()


@extend_schema(
    tags=["currencies"],
    responses={200: CurrencySerializer(many=True), **errors(*AUTH_ERRORS)},
)
class CurrencyListView(generics.ListAPIView):
    """The active currencies with their limits: the initial grant a new wallet receives and the
    most a player may hold (null: no limit). `is_default` marks the currency of `balance`."""

    serializer_class = CurrencySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Currency]:
        return active_currencies()
