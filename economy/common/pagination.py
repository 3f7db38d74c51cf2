import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

M = TypeVar("M", bound=Model)

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


def from_position(rows: QuerySet[M], after: Position | None) -> QuerySet[M]:
    """The rows beyond `after` (older ones, or newer ones with `newer`), ordered outwards from
    it by (created_at, id): what an index on those columns serves as a range scan."""
    newer = after is not None and after.newer
    if after is not None:
        key = "gt" if newer else "lt"
        # The plain bound on created_at (redundant with the OR) is what the index's range scan
        # starts from: without it, the OR is a filter over every row before the position.
        rows = rows.filter(
            Q(**{f"created_at__{key}e": after.created_at}),
            Q(**{f"created_at__{key}": after.created_at})
            | Q(created_at=after.created_at, **{f"id__{key}": after.id}),
        )
    return rows.order_by(*(("created_at", "id") if newer else ("-created_at", "-id")))


def newest_first(rows: QuerySet[M], after: Position | None, size: int) -> list[M]:
    """At most `size` rows beyond `after`, newest first whichever way the page goes."""
    page = list(from_position(rows, after)[:size])
    return page[::-1] if after is not None and after.newer else page


def keyset_page(
    request: Request, rows: Sequence[Any], *, after: Position | None, size: int
) -> dict[str, Any]:
    """A page of `size` rows, newest first, from `rows` fetched one beyond the page (size + 1)
    to tell whether there is more: {"next": older rows' URL, "previous": newer rows' URL,
    "results": the rows}. Each link is this request's URL with its `cursor` moved."""
    going_newer = after is not None and after.newer
    more = len(rows) > size
    rows = rows[1:] if (more and going_newer) else rows[:size]
    older = more or going_newer
    newer = after is not None and (more or not going_newer)

    def link(row: Any, *, newer: bool) -> str:
        query = request.query_params.copy()
        query["cursor"] = Position(row.created_at, row.pk, newer).encode()
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "next": link(rows[-1], newer=False) if rows and older else None,
        "previous": link(rows[0], newer=True) if rows and newer else None,
        "results": rows,
    }
