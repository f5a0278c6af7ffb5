"""The root of v2: its version document and its resources."""

from __future__ import annotations

import pecan
import webob

from panko.api import render
from panko.api import versions
from panko.api.controllers.v2 import capabilities
from panko.api.controllers.v2 import event_counts
from panko.api.controllers.v2 import event_types
from panko.api.controllers.v2 import events


def version_document(request: webob.Request) -> webob.Response:
    url = request.path_url.rstrip("/")
    return render.json_response({"version": versions.descriptor(url)})


class V2Controller:
    """``/v2``: events, event types, capabilities and (panko's addition)
    event counts."""

    events = events.EventsController()
    event_counts = event_counts.EventCountsController()
    event_types = event_types.EventTypesController()
    capabilities = capabilities.CapabilitiesController()

    @pecan.expose(generic=True)
    def index(self):
        pecan.abort(405)

    @index.when(method="GET")
    def index_get(self):
        return version_document(pecan.request)
