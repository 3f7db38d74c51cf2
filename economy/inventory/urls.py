from django.urls import path

from . import views

urlpatterns = [
    path(
        "products/<int:product_id>/purchase",
        views.ProductActionViewSet.as_view({"post": "purchase"}),
        name="product-purchase",
    ),
    path(
        "products/<int:product_id>/use",
        views.ProductActionViewSet.as_view({"post": "use"}),
        name="product-use",
    ),
    path(
        "users/<int:user_id>/inventory",
        views.InventoryViewSet.as_view({"get": "retrieve"}),
        name="user-inventory",
    ),
]
