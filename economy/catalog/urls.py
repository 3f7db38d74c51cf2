from django.urls import path

from . import views

urlpatterns = [
    path("currencies", views.CurrencyListView.as_view(), name="currency-list"),
    path("products", views.ProductViewSet.as_view({"get": "list"}), name="product-list"),
    path(
        "products/<int:product_id>",
        views.ProductViewSet.as_view({"get": "retrieve"}),
        name="product-detail",
    ),
]
