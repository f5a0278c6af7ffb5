"""The one mapping of errors to HTTP answers.

Controllers and the modules below them raise exceptions that carry a
message meant for the caller; this module turns each into a status code
and the body WSME gave Panko 10 clients::

    {"error_message": {"faultcode": "Client", "faultstring": "...",
                       "debuginfo": null}}

Anything unexpected is logged with its traceback and answered with a
clean 500 that reveals nothing of it.
"""

from __future__ import annotations

import json

from oslo_log import log
import webob
from webob import exc as webob_exc

from panko import wire
from panko.storage import exceptions as storage_exc

LOG = log.getLogger(__name__)

# Seconds a client is told to wait when the database is unavailable.
RETRY_AFTER_S = 5


class APIError(Exception):
    """An error answered with ``status`` and ``message``."""

    status = 500

    def __init__(
        self,
        message: str,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.headers = headers or {}


class BadRequest(APIError):
    status = 400


class Forbidden(APIError):
    status = 403


class NotFound(APIError):
    status = 404


class RequestTooLarge(APIError):
    status = 413


def body_too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(
        "The request body is larger than %d bytes "
        "([api] max_request_body_size)." % limit
    )


class UnsupportedMediaType(APIError):
    status = 415


class ServiceUnavailable(APIError):
    status = 503


def body(status: int, message: str) -> bytes:
    """The JSON body of an error answer."""
    fault = {
        "faultcode": "Client" if status < 500 else "Server",
        "faultstring": message,
        "debuginfo": None,
    }
    return json.dumps({"error_message": fault}).encode("utf-8")


def response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> webob.Response:
    resp = webob.Response(
        status=status,
        body=body(status, message),
        content_type="application/json",
        charset=None,
    )
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def to_response(error: Exception, retry_after: bool = False) -> webob.Response:
    """The answer to ``error``; ``retry_after`` adds a Retry-After header
    to 503 answers (writes, which a client is expected to resend)."""
    status, message, headers = _classify(error)
    if status == 503 and retry_after:
        headers = dict(headers, **{"Retry-After": str(RETRY_AFTER_S)})
    return response(status, message, headers)


def _classify(error: Exception) -> tuple[int, str, dict[str, str]]:
    if isinstance(error, APIError):
        return error.status, error.message, error.headers
    if isinstance(error, wire.InvalidEventData):
        return 400, str(error), {}
    if isinstance(error, storage_exc.InvalidMarker):
        return 400, str(error), {}
    if isinstance(error, storage_exc.InvalidEvent):
        return 400, str(error), {}
    if isinstance(error, RecursionError):
        # Pecan decodes a JSON body while it routes the request.
        return 400, "The body is nested too deeply to be read.", {}
    if isinstance(error, storage_exc.StorageUnavailable):
        LOG.warning("Answering 503: %s", error)
        return 503, "The event database is unavailable; retry later.", {}
    if isinstance(error, webob_exc.HTTPException):
        headers = {}
        if error.code == 405 and error.allow:
            headers["Allow"] = ", ".join(error.allow)
        return error.code, _http_message(error), headers
    LOG.error(
        "Unexpected error while answering a request",
        exc_info=(type(error), error, error.__traceback__),
    )
    return 500, "Internal server error; the panko-api log has details.", {}


METHOD_NOT_ALLOWED = "This method is not allowed here."
NOT_FOUND = "The resource could not be found."


def _http_message(error: webob_exc.HTTPException) -> str:
    """What routing errors (404, 405) say."""
    if error.code == 405:
        return METHOD_NOT_ALLOWED
    if error.code == 404:
        return NOT_FOUND
    return error.detail or error.title
