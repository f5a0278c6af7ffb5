"""The API while its database fails: 503 JSON, never a 500, nothing
half-written, and back to normal by itself once the database is."""

from __future__ import annotations

import json

import pytest
import webtest

from panko.api import app as api_app
from panko.api import errors
from panko.tests import apidata
from panko.tests.functional.api import test_post
from panko.tests.functional.api import test_unavailable
from panko.tests.functional.faults import conftest as faults

HEADERS = apidata.ADMIN | {"Content-Type": "application/json"}
READS = (
    "/v2/events",
    "/v2/events?limit=2000",
    "/v2/events/api-0",
    "/v2/event_types",
    "/v2/event_types/compute.instance.create.end/traits",
    "/v2/event_types/compute.instance.create.end/traits/vcpus",
)


@pytest.fixture
def proxied_api(proxied_url, tmp_path):
    """The API as deployed: it opens its own driver, on the proxy."""
    path = apidata.write_config(
        tmp_path / "panko.conf",
        proxied_url,
        database={"db_retry_interval": 0},
    )
    conf = apidata.load_conf(path)
    app = webtest.TestApp(api_app.load_app(conf))
    yield app
    conf.reset()


def post(api, start, count, status=200):
    body = [
        test_post.serialized("api-%d" % i, project="admin-project")
        for i in range(start, count)
    ]
    return api.post(
        "/v2/events", json.dumps(body), headers=HEADERS, status=status
    )


@pytest.mark.backends("postgresql", "mysql")
@pytest.mark.parametrize("fault", faults.WRITE_FAULTS)
def test_post_during_a_fault_then_again(
    backend, fault, storage_conn, db_proxy, proxied_api
):
    assert post(proxied_api, 0, 10).json == {"stored": 10, "duplicates": 0}
    trap = faults.inject(db_proxy, backend, fault)
    if trap is None:
        resp = post(proxied_api, 10, 30, status=503)
        test_unavailable.assert_unavailable(resp)
        assert resp.headers["Retry-After"] == str(errors.RETRY_AFTER_S)
        assert len(faults.stored_counts(storage_conn)) == 10
        db_proxy.resume()
        # The client sends it again after Retry-After.
        assert post(proxied_api, 10, 30).json == {
            "stored": 20,
            "duplicates": 0,
        }
    else:
        # One connection is cut: the API's own retry stores the batch,
        # or finds it committed already.
        got = post(proxied_api, 10, 30).json
        assert trap.wait(), "the fault was never reached"
        if fault in faults.MAY_BE_COMMITTED:
            # The first attempt committed: the retry finds every event
            # stored already.
            assert trap.answered
            assert got == {"stored": 0, "duplicates": 20}
        else:
            assert got == {"stored": 20, "duplicates": 0}
    # And a client that sends it once more (it never got the answer)
    # only finds duplicates.
    assert post(proxied_api, 10, 30).json == {"stored": 0, "duplicates": 20}
    faults.assert_exactly_once(storage_conn, ["api-%d" % i for i in range(30)])
    faults.report("post-" + fault, backend, db_proxy, 30, storage_conn)


@pytest.mark.backends("postgresql", "mysql")
def test_reads_answer_503_during_an_outage_and_recover(
    backend, storage_conn, db_proxy, proxied_api
):
    post(proxied_api, 0, 5)
    for path in READS:
        proxied_api.get(path, headers=apidata.ADMIN)
    # The pool holds connections to a server that then goes away.
    assert db_proxy.live > 0
    db_proxy.refuse()
    for path in READS:
        resp = proxied_api.get(path, headers=apidata.ADMIN, status=503)
        test_unavailable.assert_unavailable(resp)
    db_proxy.resume()
    # No restart: the pool reconnects.
    for path in READS:
        assert proxied_api.get(path, headers=apidata.ADMIN).status_int == 200
    assert len(proxied_api.get("/v2/events", headers=apidata.ADMIN).json) == 5
    # Connections cut while the server stays up: the next request of
    # each kind still answers (503 or 200), never 500.
    db_proxy.cut()
    for path in READS:
        resp = proxied_api.get(path, headers=apidata.ADMIN, expect_errors=True)
        assert resp.status_int in (200, 503), (path, resp.status)
    for path in READS:
        assert proxied_api.get(path, headers=apidata.ADMIN).status_int == 200
    faults.report("reads", backend, db_proxy, 0, storage_conn)


@pytest.mark.backends("postgresql", "mysql")
def test_listing_cut_is_made_again_on_a_new_connection(
    backend, storage_conn, db_proxy, proxied_api
):
    post(proxied_api, 0, 3)
    trap = db_proxy.cut_on(b"FROM event ")
    resp = proxied_api.get("/v2/events", headers=apidata.ADMIN)
    assert trap.wait()
    assert len(resp.json) == 3


@pytest.mark.backends("postgresql", "mysql")
def test_read_cut_inside_a_request_is_503(
    backend, storage_conn, db_proxy, proxied_api
):
    post(proxied_api, 0, 3)
    # The API's driver has not cached the event type names yet: it looks
    # them up after the listing's query, in a read that is not made again.
    api = proxied_api
    trap = db_proxy.cut_on(b"FROM event_type")
    resp = api.get("/v2/events", headers=apidata.ADMIN, expect_errors=True)
    assert trap.wait()
    # It fails before the first event is sent: a clean 503.
    test_unavailable.assert_unavailable(resp)
    assert len(api.get("/v2/events", headers=apidata.ADMIN).json) == 3
