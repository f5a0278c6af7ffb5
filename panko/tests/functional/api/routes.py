"""Every route of the API, found by walking its pecan controllers.

The RBAC tests take their routes from here rather than from a list kept
by hand, so that a controller or handler added later is tested (or makes
the walk fail, when it is of a kind the walk does not know yet).
"""

from __future__ import annotations

import inspect

from pecan import rest

from panko.api.controllers import resource
from panko.api.controllers import root

# RestController handlers: the HTTP method and whether the handler takes
# the resource's own id (``/things/{id}``) beyond its parents' ids (None:
# it serves the collection or an item, as its arguments say).
REST_HANDLERS = {
    "get": ("GET", None),
    "get_all": ("GET", False),
    "get_one": ("GET", True),
    "post": ("POST", False),
    "put": ("PUT", True),
    "delete": ("DELETE", True),
}
# Values standing for the path arguments of the routes, by name: an event
# the admin persona may see, and a stored event type and trait.
PATH_VALUES = {
    "message_id": "ev-admin",
    "event_type": "compute.instance.create.end",
    "trait_name": "host",
}


class UnknownHandler(Exception):
    """An exposed handler the walk does not know how to route."""


def walk(controller=None, path: str = "") -> list[tuple[str, str]]:
    """(method, path template) of every handler under ``controller``
    (default: the whole application), sorted; path arguments are
    written ``{name}`` as in ``panko.policies``' operations."""
    controller = controller or root.RootController()
    return sorted(set(_walk(controller, path, ())))


def _exposed(controller):
    """The exposed attributes of a controller, but the routing of pecan
    (``RestController._route``) and of ``resource.Resource``, which only
    refines pecan's 405 and 404: a ``_lookup`` or ``_default`` of panko's
    is reported, and the walk must learn it."""
    for name in dir(type(controller)):
        value = getattr(type(controller), name, None)
        if value is getattr(rest.RestController, name, None):
            continue
        if value is getattr(resource.Resource, name, None):
            continue
        if getattr(value, "exposed", False):
            yield name, value


def _children(controller):
    for name in dir(type(controller)):
        if name.startswith("_"):
            continue
        child = getattr(type(controller), name)
        if isinstance(child, rest.RestController) or (
            not callable(child) and any(_exposed(child))
        ):
            yield name, child


def _walk(controller, path, parent_args):
    if isinstance(controller, rest.RestController):
        yield from _rest_routes(controller, path, parent_args)
        return
    exposed = dict(_exposed(controller))
    # The methods of a generic handler (``@index.when(method=...)``) are
    # exposed too, and routed by the handler they belong to.
    delegates = {
        id(function)
        for handler in exposed.values()
        for method, function in _generic(handler).items()
        if method != "DEFAULT"
    }
    for name, handler in exposed.items():
        if id(handler) not in delegates:
            yield from _plain_routes(controller, name, handler, path)
    for name, child in _children(controller):
        yield from _walk(child, "%s/%s" % (path, name), parent_args)


def _generic(handler) -> dict:
    return getattr(handler, "_pecan", {}).get("generic_handlers") or {}


def _plain_routes(controller, name, handler, path):
    generic = _generic(handler)
    if name != "index" or not generic:
        raise UnknownHandler(
            "%s.%s: teach panko/tests/functional/api/routes.py this kind "
            "of handler" % (type(controller).__name__, name)
        )
    for method in generic:
        if method != "DEFAULT":
            yield method, path or "/"


def _rest_routes(controller, path, parent_args):
    if getattr(controller, "_custom_actions", None):
        raise UnknownHandler(
            "%s has custom actions: teach the walk" % type(controller).__name__
        )
    own_id = None
    for name, handler in _exposed(controller):
        if name not in REST_HANDLERS:
            raise UnknownHandler(
                "%s.%s: teach the walk this handler"
                % (type(controller).__name__, name)
            )
        method, takes_id = REST_HANDLERS[name]
        args = _arguments(handler)
        if list(args[: len(parent_args)]) != list(parent_args):
            raise UnknownHandler(
                "%s.%s does not take its parents' arguments %s first"
                % (type(controller).__name__, name, parent_args)
            )
        extra = args[len(parent_args) :]
        if takes_id is None:
            takes_id = len(extra) == 1
        if len(extra) != int(takes_id):
            raise UnknownHandler(
                "%s.%s takes %s beyond its parents' arguments"
                % (type(controller).__name__, name, extra)
            )
        if takes_id:
            own_id = extra[0]
            yield method, "%s/{%s}" % (path, own_id)
        else:
            yield method, path
    for name, child in _children(controller):
        if own_id is None:
            raise UnknownHandler(
                "%s.%s under a collection without get_one"
                % (type(controller).__name__, name)
            )
        yield from _walk(
            child,
            "%s/{%s}/%s" % (path, own_id, name),
            parent_args + (own_id,),
        )


def _arguments(handler) -> tuple[str, ...]:
    params = list(inspect.signature(handler).parameters.values())[1:]
    if any(p.kind not in (p.POSITIONAL_OR_KEYWORD,) for p in params):
        raise UnknownHandler("%s takes *args or keywords" % handler.__name__)
    return tuple(p.name for p in params)


def concrete(template: str) -> str:
    """A path to request for a route template."""
    path = template
    for name, value in PATH_VALUES.items():
        path = path.replace("{%s}" % name, value)
    if "{" in path:
        raise UnknownHandler("No value for the arguments of %s" % template)
    return path
