from django.urls import path

from . import views

user_me = views.UserViewSet.as_view({"get": "me"})
user_detail = views.UserViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="auth-token"),
    path("users/me", user_me, name="user-me"),
    path("users/<int:user_id>", user_detail, name="user-detail"),
]
