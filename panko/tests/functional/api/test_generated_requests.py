"""Generated bad input on every GET route and on POST /v2/events, on
every backend.

Every answer is a 2xx, or a 4xx whose JSON error message says what was
wrong; never a 5xx. The answers are also held to the OpenAPI description
(the ``api`` fixture's ``DescribedApp``). Examples are derandomized and
bounded (``panko.tests.generative``); the run's summary gives the number
of requests each test sent.
"""

from __future__ import annotations

import json
import string

import hypothesis
from hypothesis import strategies as st
import pytest

from panko.tests import apidata
from panko.tests import badinput
from panko.tests import generative

IDENTITIES = {
    "anonymous": {},
    "admin": apidata.ADMIN,
    "member-a": apidata.MEMBER_A,
    "member-b": apidata.MEMBER_B,
    "no-roles": apidata.NO_ROLES,
    "service": apidata.SERVICE,
}
identities = st.sampled_from(sorted(IDENTITIES))
writers = st.sampled_from(["anonymous", "admin", "service", "member-a"])
JSON = {"Content-Type": "application/json"}


def send(api, tally, method, url, identity, body=None, headers=None):
    """The answer to one request; it must be a 2xx or a 4xx that says
    what was wrong in the API's error shape."""
    headers = dict(IDENTITIES[identity], **(headers or {}))
    if tally is not None:
        hypothesis.note("%s %s as %s, body %r" % (method, url, identity, body))
    resp = api.request(
        url, method=method, body=body, headers=headers, expect_errors=True
    )
    if tally is not None:
        tally.record(resp.status_int)
    assert resp.status_int < 500, resp.body[:500]
    if resp.status_int >= 400:
        assert resp.content_type == "application/json"
        fault = resp.json["error_message"]
        assert fault["faultcode"] == "Client"
        assert fault["faultstring"].strip(), resp.body
    return resp


def test_queries_of_the_event_list(api, sample, tally):
    @generative.examples(120)
    @hypothesis.given(pairs=badinput.event_queries(), identity=identities)
    @hypothesis.example(pairs=[("marker", "a\x00")], identity="admin")
    @hypothesis.example(
        pairs=[
            ("q.field", "launched_at"),
            ("q.type", "datetime"),
            ("q.value", "9999-12-31T23:59:59.999999"),
        ],
        identity="member-a",
    )
    def check(pairs, identity):
        url = "/v2/events?" + badinput.query_string(pairs)
        resp = send(api, tally, "GET", url, identity)
        if resp.status_int == 200:
            assert isinstance(resp.json, list)

    check()
    assert tally.server_errors == 0


def test_json_bodies_of_the_event_list(api, sample, tally):
    @generative.examples(80)
    @hypothesis.given(
        body=badinput.event_query_bodies(),
        pairs=st.one_of(st.just([]), badinput.event_queries()),
        identity=identities,
    )
    # What gave 500 before: lone surrogates reaching the database.
    @hypothesis.example(body={"marker": "\ud800"}, pairs=[], identity="admin")
    @hypothesis.example(
        body={"q": [{"field": "host", "value": "\udfff"}]},
        pairs=[],
        identity="admin",
    )
    @hypothesis.example(
        body={"q": [{"field": "h\ud800", "value": "x"}]},
        pairs=[],
        identity="admin",
    )
    @hypothesis.example(body={"sort": [None]}, pairs=[], identity="admin")
    def check(body, pairs, identity):
        url = "/v2/events?" + badinput.query_string(pairs)
        send(api, tally, "GET", url, identity, badinput.dumps(body), JSON)

    check()
    assert tally.server_errors == 0


ROUTES = [
    "/",
    "/v2",
    "/v2/events/{a}",
    "/v2/event_types",
    "/v2/event_types/{a}",
    "/v2/event_types/{a}/traits",
    "/v2/event_types/{a}/traits/{b}",
    "/v2/capabilities",
]
segments = st.one_of(
    st.sampled_from(
        ["ev-a1", "ev-b1", "compute.instance.create.end", "host", "vcpus"]
    ),
    badinput.texts.filter(bool),
)


def test_the_other_get_routes(api, sample, tally):
    @generative.examples(100)
    @hypothesis.given(
        route=st.sampled_from(ROUTES),
        a=segments,
        b=segments,
        args=st.lists(
            st.tuples(
                st.one_of(st.just("limit"), badinput.texts),
                badinput.values,
            ),
            max_size=3,
        ),
        body=st.one_of(st.none(), badinput.json_values),
        identity=identities,
    )
    # What gave 500 before: NUL bytes reaching PostgreSQL.
    @hypothesis.example(
        route="/v2/events/{a}",
        a="x\x00",
        b="",
        args=[],
        body=None,
        identity="admin",
    )
    @hypothesis.example(
        route="/v2/event_types/{a}/traits/{b}",
        a="\x00",
        b="\x00",
        args=[],
        body=None,
        identity="admin",
    )
    def check(route, a, b, args, body, identity):
        path = route.format(
            a=badinput.path_segment(a), b=badinput.path_segment(b)
        )
        url = path + "?" + badinput.query_string(args)
        if body is None:
            send(api, tally, "GET", url, identity)
        else:
            send(api, tally, "GET", url, identity, badinput.dumps(body), JSON)

    check()
    assert tally.server_errors == 0


def _ids(prefix):
    return st.text(string.ascii_lowercase, min_size=4, max_size=8).map(
        lambda s: prefix + s
    )


def test_posted_events(api, tally):
    """A POST that is answered 200 stored every event: each can be read."""

    @generative.examples(100)
    @hypothesis.given(
        body=st.one_of(
            st.lists(badinput.events(_ids("gen-")), max_size=4),
            badinput.events(_ids("gen-")),
            badinput.json_values,
        ),
        identity=writers,
    )
    # What gave 500 before: lone surrogates in names and values, a list
    # as a trait type, the last day of year 9999 on PostgreSQL.
    @hypothesis.example(
        body=dict(_serialized("s1"), traits=[["host", 1, "\ud800"]]),
        identity="admin",
    )
    @hypothesis.example(body=_serialized("s2\udfff"), identity="admin")
    @hypothesis.example(
        body=dict(_serialized("s3"), event_type="\ud800"), identity="admin"
    )
    @hypothesis.example(
        body=dict(_serialized("s4"), traits=[{"name": "t", "type": ["x"]}]),
        identity="admin",
    )
    @hypothesis.example(
        body=dict(_serialized("s5"), generated="9999-12-31T23:59:59"),
        identity="admin",
    )
    def check(body, identity):
        resp = send(
            api,
            tally,
            "POST",
            "/v2/events",
            identity,
            badinput.dumps(body),
            JSON,
        )
        if resp.status_int == 200:
            posted = body if isinstance(body, list) else [body]
            for event in posted:
                _assert_readable(api, tally, event["message_id"])

    check()
    assert tally.server_errors == 0


def _assert_readable(api, tally, message_id):
    url = "/v2/events?" + badinput.query_string(
        [
            ("q.field", "message_id"),
            ("q.value", message_id),
            ("q.field", "all_tenants"),
            ("q.value", "True"),
        ]
    )
    resp = send(api, tally, "GET", url, "admin")
    assert [e["message_id"] for e in resp.json] == [message_id]


def _serialized(message_id, traits=(), raw=None):
    return {
        "message_id": message_id,
        "event_type": "compute.instance.create.end",
        "generated": "2026-01-01T00:00:00",
        "traits": list(traits),
        "raw": raw,
    }


def _nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


LARGE_BODIES = {
    "1 MB raw": json.dumps(_serialized("big-raw", raw={"p": "x" * 2**20})),
    "raw nested 900 deep": json.dumps(_serialized("deep", raw=_nested(900))),
    "raw nested 100,000 deep": '{"message_id": "deeper", "raw": '
    + "[" * 100000
    + "]" * 100000
    + "}",
    "integer beyond a double in raw": json.dumps(
        _serialized("huge-int", raw={"n": 10**400})
    ),
    "NaN in raw": json.dumps(_serialized("nan-raw", raw={"n": float("nan")})),
    "generated in the last microsecond of 9999": json.dumps(
        dict(_serialized("last"), generated="9999-12-31T23:59:59.999999")
    ),
    "generated on the first day": json.dumps(
        dict(_serialized("first"), generated="0001-01-01T00:00:00")
    ),
    "not JSON": "{'message_id': 'python'}",
    "not UTF-8": b"\xff\xfe[]",
    "empty": "",
}


@pytest.mark.parametrize("name", sorted(LARGE_BODIES))
def test_posted_edge_bodies(api, name):
    body = LARGE_BODIES[name]
    body = body.encode() if isinstance(body, str) else body
    resp = send(api, None, "POST", "/v2/events", "admin", body, JSON)
    if resp.status_int == 200:
        _assert_readable(api, None, json.loads(body)["message_id"])


def _many_traits(count):
    return json.dumps(
        _serialized("many", [["t%05d" % i, 2, i] for i in range(count)])
    ).encode()


@pytest.mark.backends("sqlite", "postgresql", "mysql")
def test_ten_thousand_traits(api):
    resp = send(
        api, None, "POST", "/v2/events", "admin", _many_traits(10000), JSON
    )
    assert resp.json == {"stored": 1, "duplicates": 0}
    _assert_readable(api, None, "many")


@pytest.mark.backends("mongodb")
def test_two_hundred_traits_on_mongodb(api):
    """On SecantusDB, the MongoDB server of the tests, storing an event of
    200 traits takes under a second but one of 1,000 more than two
    minutes (not yet known whether in the server or in the driver), so
    10,000 is out of reach here: 200."""
    resp = send(
        api, None, "POST", "/v2/events", "admin", _many_traits(200), JSON
    )
    assert resp.json == {"stored": 1, "duplicates": 0}
    _assert_readable(api, None, "many")


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/xml",
    ],
)
def test_posted_bodies_of_other_types(api, content_type):
    body = json.dumps(_serialized("typed")).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    resp = send(api, None, "POST", "/v2/events", "admin", body, headers)
    assert resp.status_int == (200 if "json" in (content_type or "") else 415)
