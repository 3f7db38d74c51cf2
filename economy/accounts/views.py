from typing import cast

from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from economy.common.schema import AUTH_ERRORS, RETRY_AFTER_HEADER, errors
from economy.common.throttling import LoginThrottle

from .models import User
from .permissions import IsSelfOrStaff
from .serializers import TokenRequestSerializer, TokenSerializer, UserSerializer


class InvalidCredentials(APIException):
    # Not AuthenticationFailed: DRF turns that into 403 on a view without authenticators.
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Unable to log in with the provided credentials."
    default_code = "not_authenticated"
    auth_header = "Token"


class TokenView(APIView):
    """Exchange a username and password for an API token (the same token on every call)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        parameters=[RETRY_AFTER_HEADER],
        responses={200: TokenSerializer, **errors(400, 401, 405, 429)},
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request, **serializer.validated_data)
        if user is None:
            raise InvalidCredentials()
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)


@extend_schema(tags=["users"])
class UserViewSet(viewsets.GenericViewSet):
    """Profiles with balance: a player reads its own; staff read anyone's."""

    serializer_class = UserSerializer

    def get_permissions(self) -> list[BasePermission]:
        if self.action == "retrieve":
            return [IsAuthenticated(), IsSelfOrStaff()]
        return [IsAuthenticated()]

    @extend_schema(responses={200: UserSerializer, **errors(*AUTH_ERRORS)})
    def me(self, request: Request) -> Response:
        # The authenticated user may come from the token cache, which holds no balance.
        # IsAuthenticated let only a User through, never an AnonymousUser.
        user = cast(User, request.user)
        return Response(UserSerializer(User.objects.get(pk=user.pk)).data)

    @extend_schema(responses={200: UserSerializer, **errors(*AUTH_ERRORS, 403, 404)})
    def retrieve(self, request: Request, user_id: int) -> Response:
        return Response(UserSerializer(get_object_or_404(User, pk=user_id)).data)
