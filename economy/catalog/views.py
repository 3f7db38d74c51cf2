from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, viewsets

from economy.common.schema import AUTH_ERRORS, errors

from .filters import ProductFilter
from .models import Currency, Product
from .selectors import active_currencies, active_products
from .serializers import CurrencySerializer, ProductSerializer


@extend_schema_view(
    list=extend_schema(
        responses={200: ProductSerializer(many=True), **errors(*AUTH_ERRORS, 400, 404)}
    ),
    retrieve=extend_schema(responses={200: ProductSerializer, **errors(*AUTH_ERRORS, 404)}),
)
@extend_schema(tags=["products"])
class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """The active catalog. Inactive products are invisible here (404) but stay in the ledger."""

    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    lookup_url_kwarg = "product_id"

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
