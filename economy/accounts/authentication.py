from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (`Authorization: Token <key>`, looked up by primary key),
    refusing a key with a NUL byte before it reaches the database: PostgreSQL cannot compare
    one, and the driver's error would answer 503 where the caller deserves a 401."""

    def authenticate_credentials(self, key):
        if "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
