"""GET /v2/events and /v2/events/<message_id> on every backend."""

from __future__ import annotations

import datetime
import json

import pytest
import webob

from panko.tests import apidata
from panko.tests import eventgen

ADMIN = apidata.ADMIN
# Conditions are matched by position, attribute by attribute, as WSME
# did: give every attribute for every condition (or leave it out of all).
ALL = [
    ("q.field", "all_tenants"),
    ("q.op", "eq"),
    ("q.type", "string"),
    ("q.value", "True"),
]
EVERY_ID = ["ev-a1", "ev-a2", "ev-b1", "ev-n1", "ev-admin"]


def ids(resp) -> list[str]:
    return [e["message_id"] for e in resp.json]


def q(field, value, op="eq", type_=None):
    params = [("q.field", field), ("q.op", op)]
    if type_ is not None:
        params.append(("q.type", type_))
    return params + [("q.value", value)]


def fault(resp) -> str:
    body = resp.json["error_message"]
    assert set(body) == {"faultcode", "faultstring", "debuginfo"}
    return body["faultstring"]


def test_event_json_is_panko10s(api, sample):
    resp = api.get("/v2/events", ALL + [("limit", "2")], headers=ADMIN)
    assert resp.content_type == "application/json"
    second = resp.json[1]
    assert list(second) == [
        "message_id",
        "event_type",
        "traits",
        "generated",
        "raw",
        "position",
    ]
    # panko's addition, last: clients of Panko 10 ignore it.
    assert isinstance(second.pop("position"), int)
    assert second == {
        "message_id": "ev-a2",
        "event_type": "compute.instance.delete.end",
        "traits": [
            {"name": "host", "value": "node-2", "type": "string"},
            {
                "name": "launched_at",
                "value": "2026-01-01T00:30:00.000500",
                "type": "datetime",
            },
            {"name": "project_id", "value": "project-a", "type": "string"},
            {"name": "ratio", "value": "1e+20", "type": "float"},
            {"name": "user_id", "value": "user-a2", "type": "string"},
            {"name": "vcpus", "value": "4", "type": "integer"},
        ],
        "generated": "2026-01-01T01:00:00.123456",
        "raw": {"n": 2},
    }
    # Microseconds of zero are not printed, as Python's isoformat().
    assert resp.json[0]["generated"] == "2026-01-01T00:00:00"
    assert list(resp.json[0]["traits"][0]) == ["name", "value", "type"]
    # Compact JSON (WSME wrote json.dumps' spaces: the same value).
    assert resp.body.startswith(b'[{"message_id":"ev-a1","event_type"')


def test_raw_null_and_empty(api, sample):
    got = {
        e["message_id"]: e
        for e in api.get("/v2/events", ALL, headers=ADMIN).json
    }
    assert got["ev-n1"]["raw"] is None
    assert got["ev-admin"]["raw"] == {}


def test_show_event(api, sample):
    resp = api.get("/v2/events/ev-a1", headers=apidata.MEMBER_A)
    assert resp.json["message_id"] == "ev-a1"
    assert resp.json["raw"] == sample["ev-a1"].raw
    assert resp.json["traits"][1] == {
        "name": "launched_at",
        "value": "2026-01-01T00:00:00",
        "type": "datetime",
    }
    assert api.get("/v2/events/ev-a1/", headers=apidata.MEMBER_A).json == (
        resp.json
    )


def test_show_unknown_event_is_404(api, sample):
    resp = api.get("/v2/events/nope", headers=ADMIN, status=404)
    assert fault(resp) == "Event nope not found."
    assert resp.json["error_message"]["faultcode"] == "Client"


def test_show_refuses_arguments(api, sample):
    resp = api.get("/v2/events/ev-a1?limit=1", headers=ADMIN, status=400)
    assert "limit" in fault(resp)


def test_default_order_and_trailing_slash(api, sample):
    resp = api.get("/v2/events/", ALL, headers=ADMIN)
    assert ids(resp) == EVERY_ID


def test_empty_store_lists_nothing(api):
    resp = api.get("/v2/events", headers=ADMIN)
    assert resp.json == []
    assert resp.body == b"[]"


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("event_type", "compute.instance.create.end", ["ev-a1", "ev-b1"]),
        ("message_id", "ev-n1", ["ev-n1"]),
        (
            "start_timestamp",
            "2026-01-02T00:00:00",
            ["ev-b1", "ev-n1", "ev-admin"],
        ),
        ("end_timestamp", "2026-01-01T01:00:00.123456", ["ev-a1", "ev-a2"]),
    ],
)
def test_event_fields(api, sample, field, value, expected):
    op = {"start_timestamp": "ge", "end_timestamp": "le"}.get(field, "eq")
    resp = api.get("/v2/events", ALL + q(field, value, op), headers=ADMIN)
    assert ids(resp) == expected


def test_time_window(api, sample):
    params = ALL + q("start_timestamp", "2026-01-01T00:30:00", "ge")
    params += q("end_timestamp", "2026-01-02T12:00:00+02:00", "le")
    # The offset is honoured: 10:00 UTC.
    assert ids(api.get("/v2/events", params, headers=ADMIN)) == [
        "ev-a2",
        "ev-b1",
    ]


@pytest.mark.parametrize(
    "op, expected",
    [
        ("eq", ["ev-a2"]),
        ("ne", ["ev-a1", "ev-b1"]),
        ("lt", ["ev-a1"]),
        ("le", ["ev-a1", "ev-a2"]),
        ("gt", ["ev-b1"]),
        ("ge", ["ev-a2", "ev-b1"]),
    ],
)
def test_integer_trait_operators(api, sample, op, expected):
    params = ALL + q("vcpus", "4", op, "integer")
    assert ids(api.get("/v2/events", params, headers=ADMIN)) == expected


@pytest.mark.parametrize(
    "field, type_, op, value, expected",
    [
        ("host", "string", "eq", "node-1", ["ev-a1", "ev-b1"]),
        ("host", None, "eq", "node-1", ["ev-a1", "ev-b1"]),
        ("host", "", "eq", "node-2", ["ev-a2"]),
        ("host", "string", "gt", "node-1", ["ev-a2"]),
        ("ratio", "float", "eq", "0.5", ["ev-a1"]),
        ("ratio", "float", "gt", "1", ["ev-a2"]),
        ("launched_at", "datetime", "eq", "2026-01-01T00:00:00", ["ev-a1"]),
        ("launched_at", "datetime", "gt", "2026-01-01T00:00:00", ["ev-a2"]),
        ("size", "integer", "eq", "123", ["ev-n1"]),
        ("no_such_trait", "string", "eq", "x", []),
        # A string filter does not match an integer trait of that name.
        ("vcpus", "string", "eq", "2", []),
    ],
)
def test_trait_filters(api, sample, field, type_, op, value, expected):
    params = ALL + q(field, value, op, type_)
    assert ids(api.get("/v2/events", params, headers=ADMIN)) == expected


def test_conditions_are_anded(api, sample):
    params = ALL + q("host", "node-1", type_="string")
    params += q("vcpus", "8", type_="integer")
    assert ids(api.get("/v2/events", params, headers=ADMIN)) == ["ev-b1"]
    params = ALL + q("host", "node-1") + q("host", "node-2")
    assert ids(api.get("/v2/events", params, headers=ADMIN)) == []


def test_query_in_json_body(api, sample):
    body = {
        "q": [
            {"field": "all_tenants", "value": True},
            {"field": "vcpus", "op": "ge", "type": "integer", "value": 4},
        ],
        "limit": 1,
        "sort": ["generated:desc"],
    }
    resp = api.request(
        "/v2/events",
        method="GET",
        body=json.dumps(body).encode(),
        headers=ADMIN | {"Content-Type": "application/json"},
    )
    assert ids(resp) == ["ev-b1"]


def test_limit_and_default_limit(make_app, sample):
    api = make_app(api={"default_api_return_limit": 2})
    assert ids(api.get("/v2/events", ALL, headers=ADMIN)) == EVERY_ID[:2]
    resp = api.get("/v2/events", ALL + [("limit", "3")], headers=ADMIN)
    assert ids(resp) == EVERY_ID[:3]


def test_limit_is_clamped_to_the_maximum(make_app, sample):
    api = make_app(api={"max_api_return_limit": 2})
    resp = api.get("/v2/events", ALL + [("limit", "1000")], headers=ADMIN)
    assert ids(resp) == EVERY_ID[:2]


@pytest.mark.parametrize(
    "sort, expected",
    [
        (["generated:desc"], EVERY_ID[::-1]),
        (["message_id"], sorted(EVERY_ID)),
        (["message_id:desc"], sorted(EVERY_ID, reverse=True)),
        (["generated:asc", "message_id:desc"], EVERY_ID),
    ],
)
def test_sort(api, sample, sort, expected):
    params = ALL + [("sort", s) for s in sort]
    assert ids(api.get("/v2/events", params, headers=ADMIN)) == expected


def test_pagination_with_marker(api, storage_conn):
    same_time = datetime.datetime(2026, 5, 1)
    events = [
        eventgen.event(message_id="m%02d" % i, generated=same_time)
        for i in range(7)
    ]
    storage_conn.record_events(events)
    seen, marker = [], None
    while True:
        params = ALL + [("limit", "3"), ("sort", "generated:desc")]
        if marker:
            params.append(("marker", marker))
        page = ids(api.get("/v2/events", params, headers=ADMIN))
        if not page:
            break
        seen += page
        marker = page[-1]
    # Ties on generated are broken by message_id, in the same direction.
    assert seen == ["m%02d" % i for i in reversed(range(7))]


def test_unknown_marker_is_400(api, sample):
    resp = api.get(
        "/v2/events", [("marker", "nope")], headers=ADMIN, status=400
    )
    assert "nope" in fault(resp)


def test_marker_outside_the_callers_scope_is_400(api, sample):
    resp = api.get(
        "/v2/events",
        [("marker", "ev-b1")],
        headers=apidata.MEMBER_A,
        status=400,
    )
    assert "ev-b1" in fault(resp)


def test_large_listing_streams(api, storage_conn):
    events = [
        eventgen.event(message_id="big-%05d" % i, raw={"pad": "x" * 200})
        for i in range(1500)
    ]
    storage_conn.record_events(events)
    req = webob.Request.blank(
        "/v2/events?limit=2000&q.field=all_tenants&q.value=True",
        headers=ADMIN,
    )
    status, headers, app_iter = req.call_application(api.app)
    assert status == "200 OK"
    assert "Content-Length" not in dict(headers)
    chunks = list(app_iter)
    # Written as it is read, in chunks, not as one body.
    assert len(chunks) > 5
    assert [e["message_id"] for e in json.loads(b"".join(chunks))] == [
        e.message_id for e in events
    ]
