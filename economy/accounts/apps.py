from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "economy.accounts"
    label = "accounts"

    def ready(self) -> None:
        from . import schema  # noqa: F401  registers the JWT scheme with drf-spectacular
        from .authentication import connect_signals

        connect_signals()
