"""OpenAPI for the studio's JWT scheme (drf-spectacular documents `Token` on its own)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class StudioJWTScheme(OpenApiAuthenticationExtension):
    target_class = "economy.accounts.authentication.JWTAuthentication"
    name = "studioJWT"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "A token signed by the studio's identity provider (docs/identity.md); "
                "accepted when the service is configured for one."
            ),
        }
