from django.urls import path

from . import views

urlpatterns = [
    path("users/me", views.MyProfileView.as_view(), name="user-me"),
    path("users/<int:user_id>", views.ProfileView.as_view(), name="user-detail"),
    path("users/<int:user_id>/add-funds", views.AddFundsView.as_view(), name="user-add-funds"),
    path("users/<int:user_id>/spend", views.SpendView.as_view(), name="user-spend"),
    path("users/<int:user_id>/holds", views.HoldListView.as_view(), name="user-holds"),
    path("holds/<int:hold_id>", views.HoldDetailView.as_view(), name="hold-detail"),
    path("holds/<int:hold_id>/capture", views.HoldCaptureView.as_view(), name="hold-capture"),
    path("holds/<int:hold_id>/void", views.HoldVoidView.as_view(), name="hold-void"),
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
