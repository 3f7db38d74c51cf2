from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import cache as cache_helpers
from . import replicas
from .exceptions import error_body

HealthSerializer = inline_serializer(
    name="Health",
    fields={
        "status": serializers.CharField(),
        "components": serializers.DictField(child=serializers.CharField(), required=False),
    },
)


class HealthView(APIView):
    """Liveness: the process answers. Touches neither the database nor the cache."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: HealthSerializer}, tags=["health"])
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


class ReadinessView(APIView):
    """Readiness: 200 when the database and the cache both answer, 503 with each state otherwise;
    each read replica's state (ok, lagging, down) beside them, never a reason for 503."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer}, tags=["health"])
    def get(self, request: Request) -> Response:
        components = {
            "database": "ok" if _database_ok() else "down",
            "cache": "ok" if cache_helpers.ping() else "down",
        }
        healthy = all(state == "ok" for state in components.values())
        # A replica down or lagging is reported but leaves the service ready: its reads go to
        # the primary meanwhile.
        components |= {alias: replicas.state(alias) for alias in replicas.aliases()}
        return Response(
            {"status": "ok" if healthy else "unavailable", "components": components},
            status=200 if healthy else 503,
        )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 for URLs no view matched: the contract's shape under /api/, HTML elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "No such endpoint."), status=404)
    return defaults.page_not_found(request, exception)


@csrf_exempt  # it changes nothing: a POST gets its 404, not the CSRF failure page
def unknown_api_path(request: HttpRequest) -> HttpResponse:
    """Every /api/ URL no route matched. As a route, not only handler404, so that DEBUG (`make
    run`), whose own 404 page replaces handler404, answers in the contract's shape too."""
    return not_found(request)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("internal_error", "An unexpected error occurred."), status=500
        )
    return defaults.server_error(request)
