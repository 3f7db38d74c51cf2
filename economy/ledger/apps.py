from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "economy.ledger"
    label = "ledger"

    def ready(self) -> None:
        # Declares the events' payloads (the OpenAPI schema reads them); connects the receivers.
        from . import events, signals  # noqa: F401
