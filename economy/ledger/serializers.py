from typing import Any

from django.conf import settings
from rest_framework import serializers

from economy.catalog.models import ProductType
from economy.common.pagination import CURSOR_PATTERN
from economy.common.schema import at_most_one_of
from economy.common.serializers import (
    MomentField,
    PatternField,
    QueryChoiceField,
    QueryIntegerField,
    QueryRegexField,
    StrictIntegerField,
    TextField,
)

from . import analytics
from .models import (
    DESTINATION_PATTERN,
    SINK_PATTERN,
    HoldStatus,
    Kind,
    OnExpiry,
    Status,
    SystemWallet,
)

CURRENCY_HELP = "A currency's code (GET /currencies); the default currency when absent."


CURRENCY_CODE_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"


class CurrencyCodeField(PatternField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            CURRENCY_CODE_PATTERN, max_length=32, required=False, help_text=CURRENCY_HELP, **kwargs
        )


class TransactionSerializer(serializers.Serializer):
    """A ledger row: `amount` of `currency` moved from the `debit` wallet to the `credit` one."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    amount = serializers.IntegerField(help_text="Always > 0; the direction is debit -> credit.")
    currency = serializers.CharField(source="currency.code")
    debit = serializers.CharField(
        source="debit_wallet.label",
        help_text='Where it came from: "player:<id>" or a system wallet.',
    )
    credit = serializers.CharField(
        source="credit_wallet.label", help_text='Where it went: "player:<id>" or a system wallet.'
    )
    quantity = serializers.IntegerField(allow_null=True)
    unit_price = serializers.IntegerField(allow_null=True)
    product_id = serializers.IntegerField(allow_null=True)
    product_name = serializers.CharField(source="product.name", default=None, allow_null=True)
    failure_reason = serializers.CharField()
    reason = serializers.CharField()
    refund_of_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class BalanceSerializer(serializers.Serializer):
    balance = serializers.IntegerField(help_text="Posted currency.")
    held = serializers.IntegerField(help_text="Reserved by pending holds.")
    available = serializers.IntegerField(help_text="balance - held: what may be spent.")


class ProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    # Not EmailField: its schema format would refuse the "" of a player signed in from a game.
    email = serializers.CharField(help_text="The email address; empty when the user has none.")
    created_at = serializers.DateTimeField()
    balance = serializers.IntegerField(help_text="The default currency's balance.")
    balances = serializers.DictField(
        child=BalanceSerializer(), help_text="Every active currency, by code."
    )


class BalanceChangeSerializer(serializers.Serializer):
    """A movement and the player's wallet after it."""

    transaction = TransactionSerializer()
    currency = serializers.CharField(source="wallet.currency.code")
    balance = serializers.IntegerField(source="wallet.balance")
    held = serializers.IntegerField(source="wallet.held")
    available = serializers.IntegerField(source="wallet.available")


class AddFundsRequestSerializer(serializers.Serializer):
    # The type is checked here; the range (1..ECONOMY_MAX_DEPOSIT) by ledger.services, the one
    # place that knows it, for the API and the support commands alike.
    amount = StrictIntegerField(
        min_value=1, max_value=settings.ECONOMY_MAX_DEPOSIT, help_text="Whole units."
    )
    currency = CurrencyCodeField()


class SpendRequestSerializer(AddFundsRequestSerializer):
    sink = PatternField(
        rf"^{SINK_PATTERN}$",
        required=False,
        default=SystemWallet.SPEND.value,
        help_text='The sink it goes to, "sink:<name>" (created on first use): sink:spend by '
        "default; name them by purpose (sink:entry-fees, sink:crafting) to see them apart.",
    )
    reason = TextField(required=False, max_length=500, help_text="Kept in the ledger.")


class TransactionQuerySerializer(serializers.Serializer):
    """Query parameters of GET /users/{id}/transactions."""

    kind = QueryChoiceField(choices=Kind.choices, required=False)
    status = QueryChoiceField(choices=Status.choices, required=False)
    currency = QueryRegexField(CURRENCY_CODE_PATTERN, max_length=32, required=False)
    cursor = QueryRegexField(
        CURSOR_PATTERN,
        required=False,
        help_text="Where the page starts: take it from `next` or `previous`.",
    )
    page_size = QueryIntegerField(required=False, default=20, min_value=1, max_value=100)


class TransactionPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The older rows, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The newer rows, or null.")
    results = TransactionSerializer(many=True)


class PopularProductsQuerySerializer(serializers.Serializer):
    """Query parameters of GET /analytics/popular-products."""

    days = QueryIntegerField(
        required=False,
        default=analytics.DEFAULT_DAYS,
        min_value=1,
        max_value=analytics.MAX_DAYS,
        help_text="The window: completed purchases of the last `days` days (1-90, default 7).",
    )
    limit = QueryIntegerField(
        required=False,
        default=analytics.DEFAULT_LIMIT,
        min_value=1,
        max_value=analytics.MAX_LIMIT,
        help_text="How many products to return (1-50, default 5).",
    )


class PopularProductSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=ProductType.choices)
    purchases = serializers.IntegerField(help_text="Completed purchases in the window.")
    units = serializers.IntegerField(help_text="Units bought by those purchases.")


class PopularProductsSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    limit = serializers.IntegerField()
    results = PopularProductSerializer(
        many=True,
        help_text="Most purchases first; ties by units bought, then by product id.",
    )


class HoldSerializer(serializers.Serializer):
    """A hold: `amount` of `currency` reserved from the player until it is captured, voided or
    expires at `expires_at`."""

    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    currency = serializers.CharField(source="wallet.currency.code")
    amount = serializers.IntegerField(help_text="What it reserves.")
    status = serializers.ChoiceField(
        choices=HoldStatus.choices,
        help_text="pending until it ends; `expired` holds say in captured_amount whether they "
        "were paid.",
    )
    on_expiry = serializers.ChoiceField(choices=OnExpiry.choices)
    expires_at = serializers.DateTimeField()
    destination = serializers.CharField(
        source="destination.label",
        help_text='Where a capture pays it by default: "sink:<name>" or "player:<id>".',
    )
    reference = serializers.CharField()
    captured_amount = serializers.IntegerField(
        allow_null=True, help_text="What was paid out; null when nothing was."
    )
    reservation_id = serializers.IntegerField(help_text="The pending ledger row reserving it.")
    capture_id = serializers.IntegerField(
        allow_null=True, help_text="The ledger row that paid the captured amount."
    )
    paid_to = serializers.CharField(
        source="capture.credit_wallet.label",
        default=None,
        allow_null=True,
        help_text="Who the capture paid (the destination, or the one the capture named); null "
        "when nothing was paid.",
    )
    reason = serializers.CharField(help_text="Why it was voided or not paid, when known.")
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class HoldChangeSerializer(serializers.Serializer):
    """A hold and its player's wallet after the change."""

    hold = HoldSerializer()
    currency = serializers.CharField(source="wallet.currency.code")
    balance = serializers.IntegerField(source="wallet.balance")
    held = serializers.IntegerField(source="wallet.held")
    available = serializers.IntegerField(source="wallet.available")


DESTINATION_HELP = 'A sink ("sink:<name>", created on first use) or another player ("player:<id>").'


@at_most_one_of("expires_in", "expires_at")
class HoldRequestSerializer(AddFundsRequestSerializer):
    expires_in = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=settings.ECONOMY_HOLD_MAX_SECONDS,
        help_text="Seconds until it expires; or give expires_at. Neither: "
        "ECONOMY_HOLD_DEFAULT_SECONDS (an hour).",
    )
    expires_at = MomentField(
        required=False, help_text="When it expires (RFC 3339, with its offset); or give expires_in."
    )
    on_expiry = serializers.ChoiceField(
        choices=OnExpiry.choices,
        required=False,
        default=OnExpiry.VOID.value,
        # DRF's message repeats the value, which a lone surrogate would make unencodable.
        error_messages={"invalid_choice": 'Expected "void" or "capture".'},
        help_text="What expiry does: void (release it, the default) or capture (pay all of it "
        "to the destination).",
    )
    destination = PatternField(
        DESTINATION_PATTERN,
        max_length=64,
        required=False,
        default=SystemWallet.SPEND.value,
        help_text=DESTINATION_HELP + " sink:spend by default.",
    )
    reference = TextField(
        required=False,
        max_length=200,
        help_text="Your name for it (a match, an order), kept on the hold and in the ledger.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "expires_in" in attrs and "expires_at" in attrs:
            raise serializers.ValidationError(
                {"expires_at": ["Give expires_in or expires_at, not both."]}
            )
        return attrs


class CaptureRequestSerializer(serializers.Serializer):
    amount = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=settings.ECONOMY_MAX_DEPOSIT,
        help_text="What to pay, at most the held amount; all of it when absent. The rest is "
        "released.",
    )
    destination = PatternField(
        DESTINATION_PATTERN,
        max_length=64,
        required=False,
        help_text=DESTINATION_HELP + " The hold's own destination when absent.",
    )


class VoidRequestSerializer(serializers.Serializer):
    reason = TextField(required=False, max_length=500, help_text="Kept on the hold.")


class HoldQuerySerializer(serializers.Serializer):
    """Query parameters of GET /users/{id}/holds."""

    status = QueryChoiceField(choices=HoldStatus.choices, required=False)
    cursor = QueryRegexField(
        CURSOR_PATTERN,
        required=False,
        help_text="Where the page starts: take it from `next` or `previous`.",
    )
    page_size = QueryIntegerField(required=False, default=20, min_value=1, max_value=100)


class HoldPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The older holds, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The newer holds, or null.")
    results = HoldSerializer(many=True)
