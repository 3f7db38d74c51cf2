from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import services
from .models import MAX_PRICE, Product

POPULARITY_WINDOW = timedelta(days=7)
# The ledger points at products (Transaction.product, related_name "transactions"); the catalog
# reads it through that relation rather than importing the ledger app, which sits above it.
_COMPLETED_PURCHASE = {"transactions__kind": "purchase", "transactions__status": "completed"}


def _purchases_since(since):
    """Completed purchases of the outer product since `since`, as a correlated subquery.

    The filter comes before the Count, so the join holds only the window's rows.
    """
    counted = (
        Product.objects.filter(
            pk=OuterRef("pk"), transactions__created_at__gte=since, **_COMPLETED_PURCHASE
        )
        .order_by()
        .values("pk")
        .annotate(n=Count("transactions"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class ProductAdminForm(forms.ModelForm):
    # The model field only knows "not negative"; the rule (and the CHECK) is "greater than 0".
    price = forms.IntegerField(
        min_value=1,
        max_value=MAX_PRICE,
        error_messages={
            "min_value": "The price must be greater than 0.",
            "max_value": f"The price must be at most {MAX_PRICE}.",
        },
        help_text="Price in virtual currency, greater than 0. Changing it never alters past "
        "purchases: the ledger keeps the price paid.",
    )

    class Meta:
        model = Product
        fields = ("name", "description", "type", "price", "is_active")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ("name", "type", "price", "is_active", "purchases_last_7_days")
    list_filter = ("type", "is_active")
    search_fields = ("name",)
    readonly_fields = ("created_at", "updated_at")
    fields = ("name", "description", "type", "price", "is_active", "created_at", "updated_at")
    actions = ("activate", "deactivate")
    ordering = ("name", "id")

    def get_queryset(self, request):
        since = timezone.now() - POPULARITY_WINDOW
        return super().get_queryset(request).annotate(purchases_7d=_purchases_since(since))

    @admin.display(description="Purchases (7 days)", ordering="purchases_7d")
    def purchases_last_7_days(self, product):
        return product.purchases_7d

    def save_model(self, request, obj, form, change):
        services.save_product(product=obj)

    def has_delete_permission(self, request, obj=None):
        # Inventories and the ledger reference products (PROTECT): deactivate instead.
        return False

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate(self, request, queryset):
        self._set_active(request, queryset, is_active=True)

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, is_active=False)

    def _set_active(self, request, queryset, *, is_active):
        ids = list(queryset.values_list("pk", flat=True))
        changed = services.set_products_active(product_ids=ids, is_active=is_active)
        state = "activated" if is_active else "deactivated"
        self.message_user(request, f"{changed} product(s) {state}.", messages.SUCCESS)
