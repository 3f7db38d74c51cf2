from rest_framework import serializers


class StrictIntegerField(serializers.IntegerField):
    """An integer given as a JSON integer: no strings, floats or booleans coerced into one."""

    default_error_messages = {"strict": "Must be a JSON integer."}

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("strict")
        return super().to_internal_value(data)
