"""Read-only figures over the ledger: what players buy.

Popular products are one aggregate over completed purchases in a time window, served from the
cache for ECONOMY_POPULAR_CACHE_TTL (1 hour) and refreshed hourly by a Celery task, so the
query runs about once an hour per (days, limit) whatever the traffic. The figures are the same
for every caller, so each process also keeps them in its own memory for
ECONOMY_POPULAR_PROCESS_TTL (30 s): a request then makes no round trip for them at all.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import Count, Sum
from django.utils import timezone

from economy.common import cache as safe_cache

from .models import Kind, Status, Transaction

DEFAULT_DAYS = 7
DEFAULT_LIMIT = 5
MAX_DAYS = 90
MAX_LIMIT = 50


def _cache_key(days: int, limit: int) -> str:
    return f"analytics:popular-products:v1:{days}:{limit}"


def compute_popular_products(
    *, days: int, limit: int, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The `limit` active products with the most completed purchases in the last `days` days.

    Ranked by number of purchases, then units bought, then product id (ascending), so the order
    is total and stable. One SQL query: the partial index on completed purchases
    (txn_completed_purchase_idx: created_at INCLUDE product_id, quantity) answers the window
    with an index-only scan; the catalog join only adds names and drops inactive products.
    """
    since = (now or timezone.now()) - timedelta(days=days)
    rows = (
        Transaction.objects.filter(
            kind=Kind.PURCHASE,
            status=Status.COMPLETED,
            created_at__gte=since,
            product__is_active=True,
        )
        .values("product_id", "product__name", "product__type")
        .annotate(purchases=Count("*"), units=Sum("quantity"))
        .order_by("-purchases", "-units", "product_id")[:limit]
    )
    return [
        {
            "product_id": row["product_id"],
            "name": row["product__name"],
            "type": row["product__type"],
            "purchases": row["purchases"],
            "units": row["units"] or 0,
        }
        for row in rows
    ]


def popular_products(
    *, days: int = DEFAULT_DAYS, limit: int = DEFAULT_LIMIT
) -> list[dict[str, Any]]:
    """Popular products from this process's copy, else from the cache (no SQL), else computed
    and stored in both.

    A cache outage costs the query, never the answer."""
    key = _cache_key(days, limit)
    figures = caches["process"].get(key)
    if figures is None:
        figures = safe_cache.safe_get(key)
        if figures is None:
            figures = warm_popular_products(days=days, limit=limit)
        caches["process"].set(key, figures, settings.ECONOMY_POPULAR_PROCESS_TTL)
    return figures


def warm_popular_products(
    *, days: int = DEFAULT_DAYS, limit: int = DEFAULT_LIMIT
) -> list[dict[str, Any]]:
    """Compute popular products and store them for ECONOMY_POPULAR_CACHE_TTL. Idempotent:
    running it twice stores the same figures twice."""
    result = compute_popular_products(days=days, limit=limit)
    safe_cache.safe_set(_cache_key(days, limit), result, settings.ECONOMY_POPULAR_CACHE_TTL)
    return result
