from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from economy.common.schema import AUTH_ERRORS, errors

from .filters import ProductFilter
from .models import Product
from .selectors import active_products
from .serializers import ProductSerializer


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
