import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

# "o.<microseconds since the epoch>.<id>": the rows older than that one; "n.": newer. Every
# string of this shape names a position, so the schema states the whole rule.
CURSOR_PATTERN = r"^[no]\.[0-9]{1,17}\.[0-9]{1,18}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page numbers. A view validates `page` and `page_size` with its query serializer
    first, so that an out-of-range value is a 400 rather than silently the default."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_schema_operation_parameters(self, view: object) -> list[dict[str, object]]:
        return []  # the view's query serializer documents them, with their bounds


@dataclass(frozen=True)
class Position:
    """Where a keyset page starts: a row's (created_at, id), and which way the page goes from
    it (older rows, or with `newer` the rows after it). Stable under inserts: a page never
    repeats or skips a row written meanwhile."""

    created_at: datetime
    id: int
    newer: bool = False

    def encode(self) -> str:
        micros = (self.created_at - _EPOCH) // timedelta(microseconds=1)
        return f"{'n' if self.newer else 'o'}.{micros}.{self.id}"

    @classmethod
    def decode(cls, cursor: str) -> "Position":
        """The position a `cursor` query parameter names. Raises ValidationError (400) for a
        string not of CURSOR_PATTERN's shape."""
        if not re.match(CURSOR_PATTERN, cursor):
            raise ValidationError({"cursor": ["Invalid cursor: follow `next` or `previous`."]})
        direction, micros, row_id = cursor.split(".")
        created_at = _EPOCH + timedelta(microseconds=int(micros))
        return cls(created_at, int(row_id), direction == "n")
