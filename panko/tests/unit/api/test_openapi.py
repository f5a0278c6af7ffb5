"""The OpenAPI description is in step with the controllers.

The routes are found by walking what serves them: the urlmap of the
shipped paste file, the pecan controller each application mounts, their
sub-controllers, REST methods and generic handlers. A route or method
added to a controller and not to ``panko/api/openapi.yaml`` (or the
reverse) fails here.
"""

from __future__ import annotations

import configparser
import inspect
import json

from oslo_utils import importutils
from pecan import rest
from pecan.util import _cfg
import pytest

from panko.api import app as api_app
from panko.api import errors
from panko.tests import openapi

# The REST methods pecan's RestController routes, and their HTTP method.
REST_METHODS = {
    "get": "GET",
    "get_all": "GET",
    "post": "POST",
    "put": "PUT",
    "delete": "DELETE",
    "patch": "PATCH",
}


def _arg_names(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def walk(controller, prefix: str, parent_args: tuple[str, ...] = ()):
    """(path template, method) for every route ``controller`` serves
    under ``prefix``."""
    routes = set()
    if isinstance(controller, rest.RestController):
        for name, method in REST_METHODS.items():
            if hasattr(controller, name):
                routes.add((prefix or "/", method))
        one_arg = None
        if hasattr(controller, "get_one"):
            args = _arg_names(controller.get_one)
            one_arg = args[len(parent_args)]
            routes.add(("%s/{%s}" % (prefix, one_arg), "GET"))
        children_prefix = "%s/{%s}" % (prefix, one_arg) if one_arg else prefix
        children_args = parent_args + ((one_arg,) if one_arg else ())
    else:
        index = getattr(controller, "index", None)
        if index is not None:
            handlers = _cfg(index).get("generic_handlers", {})
            for method in set(handlers) - {"DEFAULT"}:
                routes.add((prefix or "/", method))
        children_prefix, children_args = prefix, parent_args
    for name, child in vars(type(controller)).items():
        if name.startswith("_") or not _is_controller(child):
            continue
        routes |= walk(child, "%s/%s" % (children_prefix, name), children_args)
    return routes


def _is_controller(value) -> bool:
    return isinstance(value, rest.RestController) or hasattr(
        getattr(value, "index", None), "_pecan"
    )


def served_routes(composite: str = "panko+noauth") -> set[tuple[str, str]]:
    """Every (path template, method) of the shipped paste pipeline."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(api_app.PACKAGED_PASTE_FILE)
    routes = set()
    for mount, target in parser["composite:%s" % composite].items():
        if not mount.startswith("/"):
            continue
        app = _app_section(parser, target)
        factory = app["paste.app_factory"]
        if factory == "panko.api.app:healthcheck_factory":
            routes |= {(mount, m) for m in api_app.HEALTHCHECK_METHODS}
            continue
        root = importutils.import_class(app["root"])()
        prefix = "" if mount == "/" else mount
        routes |= walk(root, prefix)
    return routes


def _app_section(parser, name: str):
    if parser.has_section("pipeline:%s" % name):
        name = parser["pipeline:%s" % name]["pipeline"].split()[-1]
    return parser["app:%s" % name]


def test_every_served_route_is_described_and_nothing_else():
    described = {
        (path, method)
        for path, methods in openapi.load().operations().items()
        for method in methods
    }
    served = served_routes()
    assert sorted(served - described) == [], "served but not described"
    assert sorted(described - served) == [], "described but not served"


def test_the_walk_sees_the_routes_of_v2():
    # A guard on the walk itself: it must not find nothing.
    assert ("/v2/events/{message_id}", "GET") in served_routes()
    assert (
        "/v2/event_types/{event_type}/traits/{trait_name}",
        "GET",
    ) in served_routes()


def test_keystone_and_noauth_serve_the_same_routes():
    assert served_routes("panko+keystone") == served_routes("panko+noauth")


@pytest.mark.parametrize(
    "path, template",
    [
        ("/", "/"),
        ("/v2/", "/v2"),
        ("/v2/events", "/v2/events"),
        ("/v2/events/m1", "/v2/events/{message_id}"),
        ("/v2/event_types/a/traits", "/v2/event_types/{event_type}/traits"),
        ("/v2/nowhere/at/all", None),
    ],
)
def test_paths_find_their_template(path, template):
    assert openapi.load().template_of(path) == template


def test_every_operation_documents_its_errors_in_the_wsme_shape():
    spec = openapi.load()
    for path, methods in spec.operations().items():
        for method in methods:
            responses = spec.document["paths"][path][method.lower()][
                "responses"
            ]
            for status, response in responses.items():
                response = spec._resolve(response)
                # 401 and 414 are answered by keystonemiddleware and the
                # WSGI server, in front of panko.
                if int(status) in (200, 204, 401, 414):
                    continue
                if path == "/healthcheck":
                    continue
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}


def test_the_error_shape_is_what_the_api_answers():
    body = errors.body(400, "bad")
    spec = openapi.load()
    validator = spec.validator('{"$ref": "#/components/schemas/ErrorBody"}')
    assert validator.is_valid(json.loads(body))
    assert not validator.is_valid({"error_message": {"faultstring": "x"}})


def test_every_pecan_route_may_refuse_a_url_that_is_not_utf8():
    # URLCheck answers 400 in front of every pecan application.
    spec = openapi.load()
    for path, methods in spec.operations().items():
        if path == "/healthcheck":
            continue
        for method in methods:
            assert spec.response(path, method, 400)
