"""``/v2/events``: list, show and store events."""

from __future__ import annotations

from oslo_log import log
import pecan
import webob

from panko import wire
from panko.api import errors
from panko.api import params
from panko.api import query
from panko.api import rbac
from panko.api import render
from panko.api.controllers import resource
from panko.storage import exceptions as storage_exc
from panko.storage import models

INDEX = "telemetry:events:index"
SHOW = "telemetry:events:show"
CREATE = "telemetry:events:create"

LIST_ARGS = ("q", "limit", "marker", "sort")

LOG = log.getLogger(__name__)


def list_events(request: webob.Request) -> webob.Response:
    """The events matching the query, in the caller's scope, streamed."""
    caller = request.caller
    caller.require_identity()
    caller.authorize(INDEX)
    api = request.conf.api
    args = params.read_args(
        request,
        LIST_ARGS,
        repeated=("sort",),
        body_limit=api.max_request_body_size,
    )
    event_filter = query.scoped_filter(args["q"], caller)
    pagination = models.Pagination(
        limit=query.parse_limit(
            args["limit"],
            api.default_api_return_limit,
            api.max_api_return_limit,
        ),
        marker=args["marker"] or None,
        sort=query.parse_sort(args["sort"]),
    )
    events = request.storage.get().get_events(
        event_filter, pagination, encoded=True
    )
    return render.json_list(
        events, render.event, whole=pagination.limit <= render.WHOLE_LIMIT
    )


def show_event(request: webob.Request, message_id: str) -> webob.Response:
    """One event, if the caller may see it; else 404."""
    caller = request.caller
    caller.require_identity()
    caller.authorize(SHOW)
    params.read_args(request, ())
    params.text_arg(message_id, "message_id")
    event = find_event(request, message_id, caller)
    caller.authorize(SHOW, rbac.event_target(event))
    return render.json_response(render.event(event))


def find_event(
    request: webob.Request, message_id: str, caller: rbac.Caller
) -> models.Event:
    event_filter = models.EventFilter(
        message_id=message_id, **caller.event_scope()
    )
    found = list(
        request.storage.get().get_events(
            event_filter, models.Pagination(limit=1), encoded=True
        )
    )
    if not found:
        raise errors.NotFound("Event %s not found." % message_id)
    return found[0]


def store_events(request: webob.Request) -> webob.Response:
    """Store a body of serialized events, all or none."""
    caller = request.caller
    caller.require_identity()
    caller.authorize(CREATE)
    if request.GET:
        # Ceilometer's http:// publisher passes on every option of its URL
        # that it does not know itself; refusing them would make it drop
        # every event, so they are only reported.
        LOG.warning(
            "POST /v2/events ignores the query parameters %s",
            ", ".join(sorted(set(request.GET))),
        )
    body = params.json_body(request, request.conf.api.max_request_body_size)
    if body is None:
        raise errors.BadRequest(
            "The body must be a JSON list of events or one event object."
        )
    events = wire.events_from_body(body)
    connection = request.storage.get()
    for index, event in enumerate(events):
        try:
            connection.check_event(event)
        except storage_exc.InvalidEvent as e:
            raise errors.BadRequest("event %d: %s" % (index, e.reason))
    result = connection.record_events(events)
    return render.json_response(
        {"stored": len(result.stored), "duplicates": len(result.duplicates)}
    )


class EventsController(resource.Resource):
    """GET lists or shows events, POST stores them."""

    @pecan.expose()
    def get_all(self):
        return list_events(pecan.request)

    @pecan.expose()
    def get_one(self, message_id):
        return show_event(pecan.request, message_id)

    @pecan.expose()
    def post(self):
        return store_events(pecan.request)
