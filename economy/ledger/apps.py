from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "economy.ledger"
    label = "ledger"

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the receivers)
