"""The base of the REST controllers: a 405 names the methods of the
route asked for.

pecan's RestController answers 405 with the methods of the whole
controller in ``Allow``: ``GET, POST`` for ``/v2/events/<id>`` too,
where POST is not served. The collection and the item of a controller
are told apart here by the number of path arguments left.
"""

from __future__ import annotations

import functools
import inspect

import pecan
from pecan import rest
from webob import exc

COLLECTION_METHODS = (("get_all", "GET"), ("get", "GET"), ("post", "POST"))
ITEM_METHODS = (
    ("get_one", "GET"),
    ("put", "PUT"),
    ("delete", "DELETE"),
    ("patch", "PATCH"),
)


class Resource(rest.RestController):
    @pecan.expose()
    def _route(self, args, request=None):
        request = request or pecan.request
        # The path arguments left for this controller: its parents' were
        # taken by their controllers (pecan's routing_args).
        taken = len(request.pecan.get("routing_args", []))
        parents = self._parents() - taken
        given = [a for a in args if a]  # a trailing slash is no argument
        if len(given) > parents + 1 and not self._is_child(given[parents + 1]):
            # /v2/events/<id>/more: no such route, whatever the method.
            raise exc.HTTPNotFound()
        allowed = self._allowed(len(given) > parents)
        if len(given) == parents + 1 and request.method not in allowed:
            if not allowed:
                raise exc.HTTPNotFound()  # a collection without items
            # pecan would route POST /v2/events/<id> to post() and answer
            # 404 when it does not take the id.
            raise exc.HTTPMethodNotAllowed(allow=allowed)
        try:
            return super()._route(args, request)
        except exc.HTTPMethodNotAllowed as e:
            e.allow = allowed
            raise

    def _parents(self) -> int:
        """The path arguments of the parent resources (the event type of
        the traits): what a collection method takes."""
        return _collection_arguments(type(self))

    def _is_child(self, name: str) -> bool:
        return isinstance(getattr(self, name, None), rest.RestController)

    def _allowed(self, item: bool) -> list[str]:
        methods = ITEM_METHODS if item else COLLECTION_METHODS
        return sorted({verb for name, verb in methods if hasattr(self, name)})


@functools.cache
def _collection_arguments(controller: type) -> int:
    """The arguments of a controller class's collection method, but
    ``self`` (once per class: a signature costs as much as routing)."""
    collection = getattr(controller, "get_all", None) or controller.get
    return len(inspect.signature(collection).parameters) - 1
