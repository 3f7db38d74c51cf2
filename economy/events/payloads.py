"""What each event's `data` holds, declared once per event type as a serializer next to the
service that records it: `outbox.record` builds the payload with it, and the OpenAPI schema of
the feed and of the webhooks documents it, so the two cannot drift apart."""

from collections.abc import Callable

from rest_framework import serializers

from .models import EventType

PAYLOADS: dict[str, type[serializers.Serializer]] = {}

SerializerClass = type[serializers.Serializer]


def payload(*types: EventType) -> Callable[[SerializerClass], SerializerClass]:
    """Declare the serializer that represents the `data` of events of these types."""

    def register(serializer_class: SerializerClass) -> SerializerClass:
        for event_type in types:
            if event_type in PAYLOADS:
                raise ValueError(f"{event_type} already has a payload: {PAYLOADS[event_type]}")
            PAYLOADS[event_type] = serializer_class
        return serializer_class

    return register
