from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from economy.common.views import HealthView, ReadinessView

api_v1 = [
    path("health", HealthView.as_view(), name="health"),
    path("health/ready", ReadinessView.as_view(), name="health-ready"),
    path("", include("economy.accounts.urls")),
    path("", include("economy.catalog.urls")),
    path("", include("economy.inventory.urls")),
    path("", include("economy.ledger.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

handler404 = "economy.common.views.not_found"
handler500 = "economy.common.views.server_error"
