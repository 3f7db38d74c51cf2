import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


@dataclass(frozen=True)
class Position:
    """Where a keyset page starts: a row's (created_at, id), and which way the page goes from
    it (older rows, or with `newer` the rows after it). Stable under inserts: a page never
    repeats or skips a row written meanwhile."""

    created_at: datetime
    id: int
    newer: bool = False

    def encode(self) -> str:
        text = f"{'n' if self.newer else 'o'}|{self.created_at.isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> "Position":
        """The position a `cursor` query parameter names. Raises ValidationError (400) for
        anything this service did not write."""
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            direction, created_at, row_id = text.split("|")
            position = cls(datetime.fromisoformat(created_at), int(row_id), direction == "n")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None
        if direction not in ("n", "o") or position.created_at.tzinfo is None or position.id < 1:
            raise ValidationError({"cursor": ["Invalid cursor."]})
        return position
