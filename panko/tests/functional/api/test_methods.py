"""405 for a method a route does not take, 404 for a path no route has.

Every route of the OpenAPI description, with every method it does not
describe: 405 in the API's error shape, with the route's methods in
``Allow``. Routing does not depend on the backend: SQLite only.
"""

from __future__ import annotations

import pytest

from panko.tests import apidata
from panko.tests import openapi

pytestmark = pytest.mark.backends("sqlite")

METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "TRACE")


def _not_taken():
    for template, methods in sorted(openapi.load().operations().items()):
        path = template.format(
            message_id="ev-a1",
            event_type="compute.instance.create.end",
            trait_name="host",
        )
        for method in METHODS:
            if method not in methods:
                yield pytest.param(
                    path, method, methods, id="%s %s" % (method, template)
                )


@pytest.mark.parametrize("path, method, allowed", list(_not_taken()))
def test_methods_a_route_does_not_take_are_405(api, path, method, allowed):
    resp = api.request(
        path, method=method, headers=apidata.ADMIN, expect_errors=True
    )
    assert resp.status_int == 405
    assert resp.headers["Allow"] == ", ".join(sorted(allowed))
    assert resp.content_type == "application/json"
    if method != "HEAD":
        assert resp.json["error_message"] == {
            "faultcode": "Client",
            "faultstring": "This method is not allowed here.",
            "debuginfo": None,
        }


@pytest.mark.parametrize(
    "path",
    [
        "/nowhere",
        "/v1/events",
        "/v2/nowhere",
        "/v2/events/ev-a1/traits",
        "/v2/event_types/a/traits/b/c",
        "/v2/capabilities/x",
        "/healthcheck/x",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_unknown_paths_are_404_json(api, path, method):
    resp = api.request(
        path, method=method, headers=apidata.ADMIN, expect_errors=True
    )
    assert resp.status_int == 404, resp.body
    assert resp.json["error_message"]["faultstring"] == (
        "The resource could not be found."
    )


def test_a_trailing_slash_keeps_the_collection(api):
    resp = api.post(
        "/v2/events/",
        "[]",
        headers=dict(apidata.ADMIN, **{"Content-Type": "application/json"}),
    )
    assert resp.json == {"stored": 0, "duplicates": 0}
    assert api.get("/v2/events/", headers=apidata.ADMIN).json == []
