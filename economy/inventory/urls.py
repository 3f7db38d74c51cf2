from django.urls import path

from . import views

urlpatterns = [
    path("products", views.ProductListView.as_view(), name="product-list"),
    path("products/<int:product_id>", views.ProductDetailView.as_view(), name="product-detail"),
    path(
        "products/<int:product_id>/purchase", views.PurchaseView.as_view(), name="product-purchase"
    ),
    path("products/<int:product_id>/use", views.UseView.as_view(), name="product-use"),
    path("users/<int:user_id>/inventory", views.InventoryView.as_view(), name="user-inventory"),
]
