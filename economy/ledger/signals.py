"""The ledger's one receiver: a new currency gets its named system wallets in the same
transaction. The catalog, below the ledger, cannot create them itself."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from economy.catalog.models import Currency

from .services import open_system_wallets


@receiver(post_save, sender=Currency, dispatch_uid="ledger.open_system_wallets")
def currency_saved(sender: type[Currency], instance: Currency, created: bool, **_: Any) -> None:
    if created:
        open_system_wallets(instance)
