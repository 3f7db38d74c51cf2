from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from economy.common.serializers import QueryIntegerField
from economy.events.models import Event, EventType
from economy.events.payloads import PAYLOADS

FEED_LIMIT = 500
# The most a query parameter's 18 digits write (QueryIntegerField), well within a position.
MAX_POSITION = 10**18 - 1


class EventDataField(serializers.Field):
    """An event's `data`, as its type's payload serializer made it when it was recorded."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="payload", read_only=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return value


class EventDataSchema(OpenApiSerializerFieldExtension):
    """`data` is the payload its event's `type` declared (economy/events/payloads.py), each a
    component. anyOf, not oneOf: payloads of the same shape (a deposit's and a spend's) would
    match more than one."""

    target_class = EventDataField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        refs: dict[type, dict[str, str]] = {}
        for serializer_class in PAYLOADS.values():
            if serializer_class not in refs:
                refs[serializer_class] = auto_schema.resolve_serializer(
                    serializer_class, direction
                ).ref
        by_type = "; ".join(
            f"`{event_type}`: {serializer_class.__name__}"
            for event_type, serializer_class in PAYLOADS.items()
        )
        return {
            "anyOf": list(refs.values()),
            "description": f"The payload of the event's `type`. {by_type}.",
        }


class EventSerializer(serializers.Serializer):
    """One event, as the feed lists it and as a webhook's body carries it."""

    id = serializers.SerializerMethodField(
        help_text='"evt_<n>": stable and unique; the `webhook-id` of its deliveries.'
    )
    type = serializers.ChoiceField(choices=EventType.choices)
    timestamp = serializers.DateTimeField(source="created_at", help_text="When it happened.")
    position = serializers.IntegerField(
        help_text="Its place in the feed: pass the last one seen as `after` to read on."
    )
    user_id = serializers.IntegerField(allow_null=True, help_text="The player it concerns.")
    # A field named like Serializer.data: DRF takes declared fields off the class.
    data = EventDataField()  # type: ignore[assignment]

    def get_id(self, event: Event) -> str:
        return f"evt_{event.pk}"


class EventFeedQuerySerializer(serializers.Serializer):
    """Query parameters of GET /events."""

    after = QueryIntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=MAX_POSITION,
        help_text="The events after this position (the `next_after` of the previous page).",
    )
    type = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        required=False,
        help_text="Only these types (repeat the parameter for several).",
    )
    limit = QueryIntegerField(required=False, default=100, min_value=1, max_value=FEED_LIMIT)


class EventFeedSerializer(serializers.Serializer):
    results = EventSerializer(many=True, help_text="Oldest first.")
    next_after = serializers.IntegerField(
        help_text="The `after` of the next page: the last position read, past events the "
        "`type` filter skipped."
    )
    has_more = serializers.BooleanField(help_text="Whether more events were already there.")
