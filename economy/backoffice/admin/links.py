from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from economy.ledger.models import Hold, Transaction


def transaction_link(row: Transaction) -> SafeString:
    """A link to a ledger row's page, for the success messages of the back office's actions."""
    url = reverse("admin:ledger_transaction_change", args=[row.pk])
    return format_html('<a href="{}">transaction #{}</a>', url, row.pk)


def hold_link(hold: Hold) -> SafeString:
    url = reverse("admin:ledger_hold_change", args=[hold.pk])
    return format_html('<a href="{}">hold #{}</a>', url, hold.pk)


def player_link(user_id: int, label: object) -> SafeString:
    url = reverse("admin:accounts_user_change", args=[user_id])
    return format_html('<a href="{}">{}</a>', url, label)
