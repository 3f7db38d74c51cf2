from django.urls import path

from . import views

urlpatterns = [
    path(
        "users/<int:user_id>/add-funds",
        views.AddFundsViewSet.as_view({"post": "create"}),
        name="user-add-funds",
    ),
    path(
        "users/<int:user_id>/transactions",
        views.TransactionListView.as_view(),
        name="user-transactions",
    ),
    path(
        "analytics/popular-products",
        views.PopularProductsView.as_view(),
        name="analytics-popular-products",
    ),
]
