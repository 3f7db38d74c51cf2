from django.urls import path

from . import views

urlpatterns = [
    path("currencies", views.CurrencyListView.as_view(), name="currency-list"),
    path("products", views.ProductListView.as_view(), name="product-list"),
    path("products/<int:product_id>", views.ProductDetailView.as_view(), name="product-detail"),
]
