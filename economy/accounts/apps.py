from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "economy.accounts"
    label = "accounts"

    def ready(self) -> None:
        from .authentication import connect_signals

        connect_signals()
