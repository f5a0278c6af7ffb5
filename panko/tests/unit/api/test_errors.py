"""Errors as HTTP answers."""

from __future__ import annotations

import json

import pytest
from webob import exc

from panko import wire
from panko.api import errors
from panko.storage import exceptions


def answer(error, **kwargs):
    resp = errors.to_response(error, **kwargs)
    return resp.status_int, json.loads(resp.body)["error_message"], resp


@pytest.mark.parametrize(
    "error, status, faultcode, message",
    [
        (errors.BadRequest("bad"), 400, "Client", "bad"),
        (errors.Forbidden("no"), 403, "Client", "no"),
        (errors.NotFound("gone"), 404, "Client", "gone"),
        (
            errors.body_too_large(10),
            413,
            "Client",
            "The request body is larger than 10 bytes ([api] "
            "max_request_body_size).",
        ),
        (errors.UnsupportedMediaType("json"), 415, "Client", "json"),
        (
            exceptions.InvalidMarker("m1"),
            400,
            "Client",
            "Marker m1 not found.",
        ),
        (
            wire.InvalidEventData(3, "generated is missing"),
            400,
            "Client",
            "event 3: generated is missing",
        ),
        (
            exceptions.StorageUnavailable("refused"),
            503,
            "Server",
            "The event database is unavailable; retry later.",
        ),
        (
            exc.HTTPNotFound(),
            404,
            "Client",
            "The resource could not be found.",
        ),
        (
            exc.HTTPMethodNotAllowed(),
            405,
            "Client",
            "This method is not allowed here.",
        ),
        (
            RecursionError("maximum recursion depth exceeded"),
            400,
            "Client",
            "The body is nested too deeply to be read.",
        ),
    ],
)
def test_mapping(error, status, faultcode, message):
    got_status, fault, resp = answer(error)
    assert got_status == status
    assert fault == {
        "faultcode": faultcode,
        "faultstring": message,
        "debuginfo": None,
    }
    assert resp.content_type == "application/json"


def test_retry_after_on_unavailable_writes():
    _, _, resp = answer(exceptions.StorageUnavailable("x"), retry_after=True)
    assert resp.headers["Retry-After"] == str(errors.RETRY_AFTER_S)
    _, _, resp = answer(errors.BadRequest("x"), retry_after=True)
    assert "Retry-After" not in resp.headers


def test_unexpected_errors_are_logged_and_hidden(caplog):
    status, fault, _ = answer(KeyError("secret internals"))
    assert status == 500
    assert fault["faultcode"] == "Server"
    assert "secret" not in fault["faultstring"]
    assert "secret internals" in caplog.text


def test_405_keeps_the_allow_header_routing_computed():
    error = exc.HTTPMethodNotAllowed()
    error.allow = ["GET", "POST"]
    _, _, resp = answer(error)
    assert resp.headers["Allow"] == "GET, POST"
