from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from economy.accounts.permissions import IsTrusted
from economy.common.schema import AUTH_ERRORS, errors
from economy.events import outbox
from economy.events.models import Event

from .serializers import EventFeedQuerySerializer, EventFeedSerializer, EventSerializer


@extend_schema(tags=["events"])
class EventFeedView(APIView):
    """The outbox as a feed, for trusted backends: a consumer that was down reads on from the
    last position it saw and misses nothing."""

    permission_classes = [IsAuthenticated, IsTrusted]

    @extend_schema(
        operation_id="events_list",
        parameters=[EventFeedQuerySerializer],
        responses={200: EventFeedSerializer, **errors(*AUTH_ERRORS, 400, 403)},
    )
    def get(self, request: Request) -> Response:
        """Events after the position `after`, oldest first, optionally of some types only.
        Positions only grow and are given in the order events committed, so following
        `next_after` never skips or repeats one."""
        query = EventFeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        # The dispatcher gives positions every few seconds; a reader does not wait for it.
        if outbox.has_unsequenced():
            with transaction.atomic():
                outbox.sequence()
        # Every position up to the last one given is visible: read up to it, so that a page with
        # nothing more moves the cursor past what the `type` filter skipped.
        horizon = outbox.last_position()
        events = Event.objects.filter(position__gt=params["after"], position__lte=horizon).order_by(
            "position"
        )
        if params.get("type"):
            events = events.filter(type__in=params["type"])
        page = list(events[: params["limit"] + 1])
        results = page[: params["limit"]]
        has_more = len(page) > len(results)
        return Response(
            {
                "results": EventSerializer(results, many=True).data,
                "next_after": results[-1].position if has_more else max(horizon, params["after"]),
                "has_more": has_more,
            }
        )
