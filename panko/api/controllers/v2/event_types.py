"""``/v2/event_types``: event types, their traits and trait values.

These listings span every project, so their rules default to the
administrators (see ``panko.policies.event_types``).
"""

from __future__ import annotations

from urllib import parse

import pecan
import webob

from panko.api import errors
from panko.api import params
from panko.api import query
from panko.api import render
from panko.api import trait_markers
from panko.api.controllers import resource

INDEX = "telemetry:event_types:index"
SHOW = "telemetry:event_types:show"
TRAITS_INDEX = "telemetry:traits:index"
TRAITS_SHOW = "telemetry:traits:show"


def _authorize(request: webob.Request, rule: str) -> None:
    request.caller.require_identity()
    request.caller.authorize(rule)


def list_event_types(request: webob.Request) -> webob.Response:
    _authorize(request, INDEX)
    params.read_args(request, ())
    return render.json_list(request.storage.get().get_event_types())


def show_event_type(request: webob.Request, event_type: str):
    """Panko 10 defined this route but always answered 404."""
    _authorize(request, SHOW)
    raise errors.NotFound(
        "There is no document for one event type; see "
        "/v2/event_types/%s/traits." % event_type
    )


def list_trait_types(
    request: webob.Request, event_type: str
) -> webob.Response:
    """Name and type of the traits seen on events of ``event_type``."""
    _authorize(request, TRAITS_INDEX)
    params.read_args(request, ())
    params.text_arg(event_type, "event_type")
    return render.json_list(
        request.storage.get().get_trait_types(event_type),
        render.trait_description,
    )


def list_trait_values(
    request: webob.Request, event_type: str, trait_name: str
) -> webob.Response:
    """The values of trait ``trait_name`` of events of ``event_type``,
    at most ``limit`` (default and largest: [api] max_api_return_limit).

    When there are more, a ``Link: <...>; rel="next"`` header gives the
    URL of the next page, whose ``marker`` names where it starts.
    """
    _authorize(request, TRAITS_SHOW)
    args = params.read_args(request, ("limit", "marker"))
    params.text_arg(event_type, "event_type")
    params.text_arg(trait_name, "trait_name")
    maximum = request.conf.api.max_api_return_limit
    limit = query.parse_limit(args["limit"], maximum, maximum)
    marker = None
    if args["marker"] is not None:
        marker = trait_markers.decode(args["marker"])
    page = request.storage.get().get_trait_page(
        event_type, trait_name, limit, marker
    )
    resp = render.json_response([render.trait(t) for t in page.traits])
    if page.next_marker is not None:
        resp.headers["Link"] = '<%s>; rel="next"' % _next_page_url(
            request, None if args["limit"] is None else limit, page.next_marker
        )
    return resp


def _next_page_url(request, limit, marker) -> str:
    args = {} if limit is None else {"limit": limit}
    args["marker"] = trait_markers.encode(marker)
    return request.path_url + "?" + parse.urlencode(args)


class TraitsController(resource.Resource):
    """``/v2/event_types/<event_type>/traits[/<trait_name>]``."""

    @pecan.expose()
    def get_all(self, event_type):
        return list_trait_types(pecan.request, event_type)

    @pecan.expose()
    def get_one(self, event_type, trait_name):
        return list_trait_values(pecan.request, event_type, trait_name)


class EventTypesController(resource.Resource):
    """``/v2/event_types[/<event_type>]``."""

    traits = TraitsController()

    @pecan.expose()
    def get_all(self):
        return list_event_types(pecan.request)

    @pecan.expose()
    def get_one(self, event_type):
        return show_event_type(pecan.request, event_type)
