"""The API served in-process by webtest over a real database.

Every answer the tests get is held to the OpenAPI description
(``panko/api/openapi.yaml``).
"""

from __future__ import annotations

import pytest
import webtest

from panko.api import app as api_app
from panko.tests import apidata
from panko.tests import openapi


class DescribedApp(webtest.TestApp):
    """A TestApp whose answers must fit the OpenAPI description."""

    def do_request(self, req, status=None, expect_errors=None):
        resp = super().do_request(req, status, expect_errors)
        # The path as text, even when the test sent bytes that are not
        # UTF-8 (req.path would raise).
        raw = req.environ["SCRIPT_NAME"] + req.environ["PATH_INFO"]
        path = raw.encode("latin-1").decode("utf-8", "replace")
        openapi.load().check(
            req.method, path, resp.status_int, resp.headers, resp.body
        )
        return resp


@pytest.fixture
def make_app(storage_conn, tmp_path):
    """Build an API on the test database with the options given by
    group: ``make_app(api={'restrict_to_user': True})``."""
    confs = []

    def make(**groups):
        path = apidata.write_config(
            tmp_path / ("panko-%d.conf" % len(confs)),
            storage_conn.url,
            **groups,
        )
        conf = apidata.load_conf(path)
        confs.append(conf)
        app = api_app.load_app(conf, connection=storage_conn)
        return DescribedApp(app)

    yield make
    for conf in confs:
        conf.reset()


@pytest.fixture
def api(make_app):
    """The API in noauth mode with default options."""
    return make_app()


@pytest.fixture
def sample(storage_conn):
    """The sample events, stored."""
    events = apidata.sample_events()
    assert len(storage_conn.record_events(events).stored) == len(events)
    return {e.message_id: e for e in events}
