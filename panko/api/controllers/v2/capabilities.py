"""``/v2/capabilities``: what the API and the storage driver support."""

from __future__ import annotations

import pecan
import webob

from panko.api import params
from panko.api import render
from panko.api.controllers import resource

SHOW = "telemetry:capabilities:show"


def show_capabilities(request: webob.Request) -> webob.Response:
    """The driver's capabilities, flattened as Panko 10 did: the
    ``events`` part of its API capabilities and all of its storage
    capabilities."""
    request.caller.authorize(SHOW)
    params.read_args(request, ())
    driver = request.storage.get()
    api = {"events": driver.get_capabilities()["events"]}
    return render.json_response(
        {
            "api": render.flatten(api),
            "event_storage": render.flatten(driver.get_storage_capabilities()),
        }
    )


class CapabilitiesController(resource.Resource):
    @pecan.expose()
    def get(self):
        return show_capabilities(pecan.request)
