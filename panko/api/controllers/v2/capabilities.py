"""``/v2/capabilities``: what the API and the storage driver support."""

from __future__ import annotations

import pecan
from pecan import rest
import webob

from panko.api import params
from panko.api import render

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


class CapabilitiesController(rest.RestController):
    @pecan.expose()
    def get(self):
        return show_capabilities(pecan.request)
