"""Floors for `make bench`: two views served by a separate bench server only (never by the
service), each doing one piece of a real request and nothing else, inside the same gunicorn,
Django and DRF as /health. They tell how fast any implementation of that piece can be here.

    POST /bench-probe/purchase-sql?user=N  the purchase's own SQL transaction, through the
        service's SQL (health-check SELECT 1, BEGIN, lock_user, the inventory upsert,
        debit_purchase, COMMIT); no authentication, rate limit, validation, cache or body
    GET  /bench-probe/cache-read           one MGET of three keys in Redis, as an inventory
        hit's read; no authentication

Served by bench/probes.py:application, which is config.wsgi's application with this URLconf.
"""

# isort: off
# Django is set up by config.wsgi (gunicorn's entry point here: bench.probes:application),
# before anything below touches a model.
from config.wsgi import application  # noqa: F401
# isort: on

from django.conf import settings
from django.db import connection, transaction
from django.urls import path
from django.utils import timezone
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as service_urlpatterns
from economy.catalog.models import Product
from economy.common import cache as safe_cache
from economy.inventory.services import _UPSERT_SQL
from economy.ledger import services as ledger


class _Probe(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]


class PurchaseSql(_Probe):
    product = None

    def post(self, request):
        if PurchaseSql.product is None:
            PurchaseSql.product = Product.objects.filter(is_active=True).order_by("pk").first()
        product, user_id = PurchaseSql.product, int(request.GET["user"])
        with transaction.atomic(savepoint=False):
            ledger.lock_user(user_id)
            now = timezone.now()
            with connection.cursor() as cursor:
                cursor.execute(_UPSERT_SQL, [user_id, product.pk, 1, now, now])
            ledger.debit_purchase(user_id=user_id, product=product, quantity=1)
        return Response({"status": "ok"}, status=201)


class CacheRead(_Probe):
    def get(self, request):
        safe_cache.safe_get_many(["bench-probe:1", "bench-probe:2", "bench-probe:3"])
        return Response({"status": "ok"})


urlpatterns = [
    *service_urlpatterns,
    path("bench-probe/purchase-sql", PurchaseSql.as_view()),
    path("bench-probe/cache-read", CacheRead.as_view()),
]
settings.ROOT_URLCONF = __name__
