from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "economy.ledger"
    label = "ledger"
