from django.urls import path

from . import views

urlpatterns = [
    path("transfers", views.TransferView.as_view(), name="transfers"),
    path(
        "users/<int:user_id>/transfers",
        views.UserTransferListView.as_view(),
        name="user-transfers",
    ),
]
