from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from economy.catalog import services
from economy.catalog.models import MAX_PRICE, Currency, CurrencyGrant, ItemGrant, Product
from economy.ledger.selectors import completed_purchases_of_product

POPULARITY_WINDOW = timedelta(days=7)


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _Popularity(TypedDict):
        purchases_7d: int

    # A product as ProductAdmin.get_queryset annotates it.
    ProductWithPopularity = WithAnnotations[Product, _Popularity]


class ProductAdminForm(forms.ModelForm):
    # The model field only knows "not negative"; the rule (and the CHECK) is "greater than 0".
    price = forms.IntegerField(
        min_value=1,
        max_value=MAX_PRICE,
        error_messages={
            "min_value": "The price must be greater than 0.",
            "max_value": f"The price must be at most {MAX_PRICE}.",
        },
        help_text="Price in the currency below, greater than 0. Changing it never alters past "
        "purchases: the ledger keeps the price paid.",
    )

    class Meta:
        model = Product
        fields = (
            "name",
            "description",
            "type",
            "price",
            "price_currency",
            "is_active",
            "is_giftable",
            "duration",
            "available_from",
            "available_until",
            "purchase_limit",
            "limit_period",
        )

    def clean_purchase_limit(self) -> int | None:
        limit = self.cleaned_data.get("purchase_limit")
        if limit == 0:
            raise forms.ValidationError("A limit must be at least 1; leave it empty for none.")
        return limit


class ItemGrantFormSet(forms.BaseInlineFormSet):
    """Refuses contents that make the bundle grant itself, directly or through another bundle."""

    def clean(self) -> None:
        super().clean()
        granted = [
            form.cleaned_data["product"]
            for form in self.forms
            if form.cleaned_data.get("product") and not form.cleaned_data.get("DELETE")
        ]
        try:
            services.check_grants(bundle=self.instance, granted=granted)
        except ValidationError as error:
            raise ValidationError(error.messages) from error


class CurrencyGrantInline(admin.TabularInline):
    model = CurrencyGrant
    extra = 0
    verbose_name = "currency granted"
    verbose_name_plural = "Bundle: currencies granted with each unit (from faucet:rewards)"


class ItemGrantInline(admin.TabularInline):
    model = ItemGrant
    formset = ItemGrantFormSet
    fk_name = "bundle"
    extra = 0
    autocomplete_fields = ("product",)
    verbose_name = "item granted"
    verbose_name_plural = (
        "Bundle: items granted with each unit (a permanent the player owns is skipped)"
    )


def _duration(duration: timedelta) -> str:
    """30 days, 1 day, 12 h: a duration as a content manager wrote it."""
    hours, rest = divmod(int(duration.total_seconds()), 3600)
    if rest == 0 and hours % 24 == 0:
        days = hours // 24
        return f"{days} day" if days == 1 else f"{days} days"
    return f"{hours} h" if rest == 0 else str(duration)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = (
        "name",
        "kind",
        "price_with_currency",
        "sale_window",
        "limit",
        "purchases_last_7_days",
    )
    list_filter = ("type", "is_active", "is_giftable", "price_currency", "limit_period")
    list_select_related = ("price_currency",)
    search_fields = ("name",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "description", "type", "price", "price_currency")}),
        ("On sale", {"fields": ("is_active", "available_from", "available_until", "is_giftable")}),
        ("Limits and duration", {"fields": ("purchase_limit", "limit_period", "duration")}),
        ("History", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )
    inlines = (CurrencyGrantInline, ItemGrantInline)
    actions = ("activate", "deactivate")
    ordering = ("name", "id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        since = timezone.now() - POPULARITY_WINDOW
        return (
            super()
            .get_queryset(request)
            .annotate(purchases_7d=completed_purchases_of_product(since=since))
        )

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"price_currency": Currency.objects.filter(is_default=True).first()}

    @admin.display(description="Price", ordering="price")
    def price_with_currency(self, product: Product) -> str:
        return f"{product.price} {product.price_currency.code}"

    @admin.display(description="Type", ordering="type")
    def kind(self, product: Product) -> str:
        """The type, and how long a time-limited item or an effect lasts."""
        if product.duration is None:
            return product.get_type_display()
        return f"{product.get_type_display()}, {_duration(product.duration)}"

    @admin.display(description="On sale", ordering="is_active")
    def sale_window(self, product: Product) -> str:
        if not product.is_active:
            return "no (inactive)"
        if product.available_from is None and product.available_until is None:
            return "always"
        start = f"{product.available_from:%Y-%m-%d %H:%M}" if product.available_from else ""
        end = f"{product.available_until:%Y-%m-%d %H:%M}" if product.available_until else ""
        return f"{start} → {end} UTC"

    @admin.display(description="Limit per player")
    def limit(self, product: Product) -> str:
        if product.purchase_limit is None:
            return "—"
        return f"{product.purchase_limit} {product.get_limit_period_display().lower()}"

    @admin.display(description="Sold (7 days)", ordering="purchases_7d")
    def purchases_last_7_days(self, product: "ProductWithPopularity") -> int:
        return product.purchases_7d

    def save_model(
        self, request: HttpRequest, obj: Product, form: ProductAdminForm, change: bool
    ) -> None:
        services.save_product(product=obj)

    def save_related(
        self, request: HttpRequest, form: ProductAdminForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        services.contents_changed()

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        # Inventories and the ledger reference products (PROTECT): deactivate instead.
        return False

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_active(request, queryset, is_active=True)

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_active(request, queryset, is_active=False)

    def _set_active(
        self, request: HttpRequest, queryset: QuerySet[Product], *, is_active: bool
    ) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        changed = services.set_products_active(product_ids=ids, is_active=is_active)
        state = "activated" if is_active else "deactivated"
        self.message_user(request, f"{changed} product(s) {state}.", messages.SUCCESS)
