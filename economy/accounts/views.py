from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from economy.common.schema import BODY_ERRORS, RETRY_AFTER_HEADER, errors
from economy.common.throttling import LoginThrottle

from .models import User
from .serializers import TokenRequestSerializer, TokenSerializer


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
    """Exchange a username and password for an API token (the same token on every call)."""

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
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)
