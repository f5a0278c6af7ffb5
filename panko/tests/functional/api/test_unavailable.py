"""A database that is down: 503, never a traceback, nothing half-written."""

from __future__ import annotations

import json
import socket
import time

from oslo_db import exception as db_exc
import pytest
import sqlalchemy as sa
import webtest

from panko import storage
from panko.api import app as api_app
from panko.api import errors
from panko.api import hooks
from panko.storage import exceptions
from panko.storage import models
from panko.storage.sqlalchemy import writer
from panko.tests import apidata
from panko.tests.functional.api import test_post

HEADERS = apidata.ADMIN | {"Content-Type": "application/json"}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable_api(database_url, tmp_path):
    """The API of a database server that does not answer."""
    url = sa.engine.make_url(database_url).set(
        host="127.0.0.1", port=closed_port()
    )
    path = apidata.write_config(
        tmp_path / "panko.conf",
        url.render_as_string(hide_password=False),
    )
    conf = apidata.load_conf(path)
    # The application opens its own driver, as in production.
    yield webtest.TestApp(api_app.load_app(conf))
    conf.reset()


def assert_unavailable(resp):
    assert resp.status_int == 503
    assert resp.json == {
        "error_message": {
            "faultcode": "Server",
            "faultstring": "The event database is unavailable; retry later.",
            "debuginfo": None,
        }
    }


@pytest.mark.backends("postgresql", "mysql")
@pytest.mark.parametrize(
    "path",
    [
        "/v2/events",
        "/v2/events/m1",
        "/v2/event_types",
        "/v2/event_types/t/traits",
        "/v2/event_types/t/traits/n",
    ],
)
def test_reads_answer_503(unreachable_api, backend, path):
    resp = unreachable_api.get(path, headers=apidata.ADMIN, status=503)
    assert_unavailable(resp)
    assert "Retry-After" not in resp.headers


@pytest.mark.backends("postgresql", "mysql")
def test_capabilities_need_no_database(unreachable_api, backend):
    resp = unreachable_api.get("/v2/capabilities", headers=apidata.ADMIN)
    assert resp.json["api"] == {"events:query:simple": True}


@pytest.mark.backends("postgresql", "mysql")
def test_post_answers_503_with_retry_after_soon(unreachable_api, backend):
    started = time.monotonic()
    resp = unreachable_api.post(
        "/v2/events",
        json.dumps([test_post.serialized("m1")]),
        headers=HEADERS,
        status=503,
    )
    assert_unavailable(resp)
    assert resp.headers["Retry-After"] == str(errors.RETRY_AFTER_S)
    # A couple of short retries, not [database] db_max_retries of them.
    assert time.monotonic() - started < 15


# It breaks the SQL driver's transaction from inside.
@pytest.mark.backends("sqlite", "postgresql", "mysql")
def test_connection_lost_during_the_write_stores_nothing(
    storage_conn, tmp_path, monkeypatch
):
    path = apidata.write_config(
        tmp_path / "panko.conf",
        storage_conn.url,
        database={"db_retry_interval": 0},
    )
    conf = apidata.load_conf(path)
    connection = storage.get_connection(
        conf, write_retries=hooks.API_WRITE_RETRIES
    )
    attempts = []
    original = writer.record

    def record_then_lose_the_connection(conn, *args, **kwargs):
        written = original(conn, *args, **kwargs)
        attempts.append(written)
        raise db_exc.DBConnectionError("server closed the connection")

    monkeypatch.setattr(writer, "record", record_then_lose_the_connection)
    api = webtest.TestApp(api_app.load_app(conf, connection=connection))
    body = [test_post.serialized("m%d" % i) for i in range(5)]
    try:
        resp = api.post(
            "/v2/events", json.dumps(body), headers=HEADERS, status=503
        )
    finally:
        connection.close()
        conf.reset()
    assert resp.headers["Retry-After"]
    assert len(attempts) == hooks.API_WRITE_RETRIES + 1
    assert list(storage_conn.get_events(models.EventFilter())) == []


def test_other_database_errors_are_a_clean_500(
    api, storage_conn, monkeypatch, caplog
):
    def broken():
        raise exceptions.StorageError("Database error: syntax error at x")

    monkeypatch.setattr(storage_conn, "get_event_types", broken)
    resp = api.get("/v2/event_types", headers=apidata.ADMIN, status=500)
    assert resp.json["error_message"]["faultcode"] == "Server"
    assert "syntax" not in resp.text
    assert "syntax error at x" in caplog.text
