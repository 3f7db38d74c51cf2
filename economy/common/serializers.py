"""Serializer fields that take only what the OpenAPI schema says they take, so that a client
generated from the schema is refused only by rules the schema states."""

import functools
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

# Text without NUL characters (PostgreSQL cannot store them), as the schema states it; and
# with a character besides whitespace, for a field that trims it and refuses a blank value.
TEXT_PATTERN = r"^[^\u0000]*$"
FILLED_TEXT_PATTERN = r"^\s*[^\u0000\s][^\u0000]*$"


class StrictIntegerField(serializers.IntegerField):
    """An integer given as a JSON integer: no strings, floats or booleans coerced into one."""

    default_error_messages = {"strict": "Must be a JSON integer."}

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("strict")
        return super().to_internal_value(data)


class QueryParameter(serializers.Field):
    """A query parameter given empty (`?days=`) is a value to validate, not an absent one:
    DRF would take it for absent, and so for the default."""

    def get_value(self, dictionary: Mapping[str, Any]) -> Any:
        return dictionary.get(self.field_name or "", empty)


class QueryChoiceField(QueryParameter, serializers.ChoiceField):
    pass


class QueryRegexField(QueryParameter, serializers.RegexField):
    pass


class QueryIntegerField(QueryParameter, serializers.IntegerField):
    """An integer query parameter written in ASCII digits only: no "7.0", no Arabic-Indic
    digits, no empty value."""

    default_error_messages = {"digits": "Must be a whole number written in digits 0-9."}
    _DIGITS = re.compile(r"^[0-9]{1,18}$")

    def to_internal_value(self, data: object) -> int:
        if not isinstance(data, str) or not self._DIGITS.match(data):
            self.fail("digits")
        return super().to_internal_value(data)


class JsonStringField(serializers.CharField):
    """A string given as a JSON string (DRF would turn a number into one), no longer than its
    max_length as sent: DRF measures it once trimmed, where the schema's maxLength does not."""

    default_error_messages = {"strict": "Must be a JSON string."}

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("strict")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class TextField(JsonStringField):
    """Free text whose schema states what DRF refuses anyway: NUL characters, and a value of
    nothing but whitespace where a blank one is refused (DRF trims it first). Optional text
    left out is empty, with no default in the schema: "" is not a value a client may send."""

    def __init__(self, **kwargs: Any) -> None:
        self.empty_when_left_out = not kwargs.get("required", True) and "default" not in kwargs
        super().__init__(**kwargs)
        filled = self.trim_whitespace and not self.allow_blank
        pattern = FILLED_TEXT_PATTERN if filled else TEXT_PATTERN
        self.validators.append(RegexValidator(pattern, "Null characters are not allowed."))

    def get_default(self) -> Any:
        return "" if self.empty_when_left_out else super().get_default()


class PatternField(JsonStringField, serializers.RegexField):
    """A name (a sink, a currency) given as a JSON string, matched against its pattern once DRF
    has trimmed it: surrounding whitespace or a final newline never makes it another name."""


# RFC 3339's date-time, as `format: date-time` names it. Python's fromisoformat, under DRF, also
# takes a space for the T, week dates and no offset at all (read as UTC): a game server's local
# time sent that way would be taken for another moment.
RFC3339_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})",
    re.IGNORECASE,
)


class MomentField(serializers.DateTimeField):
    """A moment as RFC 3339 writes it, with its offset: `2030-01-01T12:00:00Z`."""

    default_error_messages = {
        "rfc3339": "Must be an RFC 3339 date-time with its offset, as 2030-01-01T12:00:00Z."
    }

    def to_internal_value(self, value: object) -> Any:
        if not isinstance(value, str) or not RFC3339_DATE_TIME.fullmatch(value):
            self.fail("rfc3339")
        return super().to_internal_value(value.upper())


@functools.cache
def _output_serializer(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    return serializer_class()


def represent(serializer_class: type[serializers.Serializer], instance: Any) -> Any:
    """What `serializer_class(instance).data` gives, from one instance of the class per process:
    DRF deep-copies every field of a serializer (nested ones included) for each instance it
    builds, which cost a money request more than its SQL (docs/performance.md), and an output
    serializer keeps no state between two representations."""
    return _output_serializer(serializer_class).to_representation(instance)


def seconds(duration: timedelta | None) -> int | None:
    """A duration as the API gives it: whole seconds, or None."""
    return None if duration is None else int(duration.total_seconds())


@extend_schema_field({"type": "integer", "nullable": True, "minimum": 1})
class DurationSecondsField(serializers.Field):
    """A read-only duration in whole seconds (null for none)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value: timedelta) -> int | None:
        return seconds(value)
