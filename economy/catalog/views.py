from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics

from economy.common.schema import AUTH_ERRORS, errors

from .models import Currency
from .selectors import active_currencies
from .serializers import CurrencySerializer


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
