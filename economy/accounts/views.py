from typing import cast

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from economy.common.schema import AUTH_ERRORS, BODY_ERRORS, RETRY_AFTER_HEADER, errors
from economy.common.throttling import LoginThrottle

from . import services
from .models import User
from .permissions import IsTrusted
from .serializers import (
    PlayerSessionSerializer,
    PlayerSignInRequestSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)


def existing_user(user_id: int) -> User:
    """The user a URL names, or 404: for views under /users/{user_id}/."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    return user


class InvalidCredentials(APIException):
    # Not AuthenticationFailed: DRF turns that into 403 on a view without authenticators.
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Unable to log in with the provided credentials."
    default_code = "not_authenticated"
    auth_header = "Token"


class TokenView(APIView):
    """Exchange a username and password for a new API token, expiring after
    ECONOMY_TOKEN_TTL_HOURS."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        parameters=[RETRY_AFTER_HEADER],
        responses={200: TokenSerializer, **errors(*BODY_ERRORS, 401, 405, 406, 429)},
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request, **serializer.validated_data)
        if user is None:
            raise InvalidCredentials()
        token, key = services.issue_token(user=user, ttl=services.player_token_ttl())
        return Response({"token": key, "expiry": token.expiry}, status=status.HTTP_200_OK)


class PlayerSignInView(APIView):
    """A trusted backend (the game server) that signed a player in hands it a session: the
    player of this provider's id, created on first sight, and a new token for it."""

    permission_classes = [IsTrusted]

    @extend_schema(
        request=PlayerSignInRequestSerializer,
        responses={
            200: PlayerSessionSerializer,
            201: PlayerSessionSerializer,
            **errors(*BODY_ERRORS, *AUTH_ERRORS, 403),
        },
        tags=["auth"],
        summary="Sign a player in from the game's own sign-in (trusted backends)",
    )
    def post(self, request: Request) -> Response:
        serializer = PlayerSignInRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, created = services.player_for_identity(
            provider=serializer.validated_data["provider"],
            subject=serializer.validated_data["external_id"],
        )
        if not user.is_active:
            raise PermissionDenied("This player is deactivated.")
        token, key = services.issue_token(user=user, ttl=services.player_token_ttl())
        body = {
            "token": key,
            "expiry": token.expiry,
            "user_id": user.pk,
            "username": user.username,
            "created": created,
        }
        return Response(
            PlayerSessionSerializer(body).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class LogoutView(APIView):
    """Revoke the token this request came with. A studio JWT is the studio's to expire: with
    one, nothing is revoked."""

    @extend_schema(request=None, responses={204: None, **errors(*AUTH_ERRORS)}, tags=["auth"])
    def post(self, request: Request) -> Response:
        services.revoke_token(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Revoke every API token of the caller, on every device (legacy key included)."""

    @extend_schema(request=None, responses={204: None, **errors(*AUTH_ERRORS)}, tags=["auth"])
    def post(self, request: Request) -> Response:
        services.revoke_all_tokens(user=cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)
