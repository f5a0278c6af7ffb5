"""``GET /``: the versions of the API."""

from __future__ import annotations

import pecan
import webob

from panko.api import render
from panko.api import versions
from panko.api.controllers.v2 import root as v2_root


def versions_document(request: webob.Request) -> webob.Response:
    url = "%s/%s" % (request.application_url, versions.VERSION)
    return render.json_response(
        {"versions": {"values": [versions.descriptor(url)]}}
    )


class VersionsController:
    """The versions document."""

    @pecan.expose(generic=True)
    def index(self):
        pecan.abort(405)

    @index.when(method="GET")
    def index_get(self):
        return versions_document(pecan.request)


class RootController(VersionsController):
    """``/`` and ``/v2`` in one application, for paste files that name
    no root (Ocata and Pike's ``[app:api-server]``)."""

    v2 = v2_root.V2Controller()
