from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from economy.accounts import urls as accounts_urls
from economy.catalog import urls as catalog_urls
from economy.common.views import HealthView, ReadinessView, unknown_api_path
from economy.inventory import urls as inventory_urls
from economy.ledger import urls as ledger_urls
from economy.transfers import urls as transfers_urls
from economy.webhooks import urls as webhooks_urls

# Each app keeps its routes in its own urls.py; they are listed here flat rather than through
# include(""): every include a path does not match raises and records a Resolver404, which
# made resolving a purchase or an inventory read measurably slower (docs/performance.md).
api_v1 = [
    path("health", HealthView.as_view(), name="health"),
    path("health/ready", ReadinessView.as_view(), name="health-ready"),
    *accounts_urls.urlpatterns,
    *catalog_urls.urlpatterns,
    *inventory_urls.urlpatterns,
    *ledger_urls.urlpatterns,
    *transfers_urls.urlpatterns,
    *webhooks_urls.urlpatterns,
]

# The API first: the game client's requests are the many, the admin's the few.
urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^api/", unknown_api_path),
]

handler404 = "economy.common.views.not_found"
handler500 = "economy.common.views.server_error"
