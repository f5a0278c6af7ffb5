"""SQL and MongoDB operator payloads are data: stored and matched
literally, on every backend.

Each payload is posted as a message_id, an event type, a trait name and
a trait value, then looked up by each: only the event that holds it
exactly comes back, never one a LIKE wildcard, an escape or an operator
would match.
"""

from __future__ import annotations

import json
from urllib import parse

import pytest

from panko.tests import apidata

PAYLOADS = [
    "'; drop table event;--",
    "' OR '1'='1",
    'x" OR "1"="1',
    '{"$where": "1"}',
    '{"$gt": ""}',
    "$where",
    "$gt",
    "a.b",
    "%",
    "_",
    "\\",
    "\\%",
    "a%c",
    "a_c",
    "abc",
    "a\\c",
    "ABC",
    "*",
    ".*",
]
HEADERS = dict(apidata.ADMIN, **{"Content-Type": "application/json"})


def _event(index, payload):
    return {
        "message_id": payload,
        "event_type": payload,
        "generated": "2026-01-01T00:00:%02d" % index,
        "traits": [["value", 1, payload], [payload, 2, index]],
        "raw": {"payload": payload},
    }


@pytest.fixture
def stored(api):
    events = [_event(i, p) for i, p in enumerate(PAYLOADS)]
    resp = api.post("/v2/events", json.dumps(events), headers=HEADERS)
    assert resp.json == {"stored": len(PAYLOADS), "duplicates": 0}
    return api


def _listed(api, *conditions):
    pairs = [("limit", "1000")]
    for field, value in conditions:
        pairs += [("q.field", field), ("q.value", value)]
    pairs += [("q.field", "all_tenants"), ("q.value", "True")]
    url = "/v2/events?" + parse.urlencode(pairs)
    return sorted(e["message_id"] for e in api.get(url, headers=HEADERS).json)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_match_only_themselves(stored, payload):
    assert _listed(stored, ("message_id", payload)) == [payload]
    assert _listed(stored, ("event_type", payload)) == [payload]
    assert _listed(stored, ("value", payload)) == [payload]
    quoted = parse.quote(payload, safe="")
    event = stored.get("/v2/events/" + quoted, headers=HEADERS).json
    assert event["message_id"] == payload
    assert event["event_type"] == payload
    assert event["raw"] == {"payload": payload}
    assert {"name": "value", "value": payload, "type": "string"} in (
        event["traits"]
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_as_trait_names(stored, payload):
    index = PAYLOADS.index(payload)
    url = "/v2/events?" + parse.urlencode(
        [
            ("q.field", payload),
            ("q.type", "integer"),
            ("q.value", str(index)),
            ("q.field", "all_tenants"),
            ("q.value", "True"),
        ]
    )
    found = stored.get(url, headers=HEADERS).json
    assert [e["message_id"] for e in found] == [payload]
    quoted = parse.quote(payload, safe="")
    traits = stored.get(
        "/v2/event_types/%s/traits" % quoted, headers=HEADERS
    ).json
    assert sorted(t["name"] for t in traits) == sorted([payload, "value"])
    values = stored.get(
        "/v2/event_types/%s/traits/value" % quoted, headers=HEADERS
    ).json
    assert [v["value"] for v in values] == [payload]


def test_event_types_are_listed_as_stored(stored):
    assert sorted(stored.get("/v2/event_types", headers=HEADERS).json) == (
        sorted(PAYLOADS)
    )


def test_not_equal_excludes_only_the_literal(stored):
    url = "/v2/events?" + parse.urlencode(
        [
            ("limit", "1000"),
            ("q.field", "value"),
            ("q.op", "ne"),
            ("q.value", "%"),
            ("q.field", "all_tenants"),
            ("q.value", "True"),
        ]
    )
    found = sorted(
        e["message_id"] for e in stored.get(url, headers=HEADERS).json
    )
    assert found == sorted(p for p in PAYLOADS if p != "%")


def test_ranges_compare_code_points_not_patterns(stored):
    # % 0x25, . 0x2e, \\ 0x5c, _ 0x5f, b 0x62: by code point, as Python.
    found = _range(stored, "a%c", "abc")
    assert found == sorted(p for p in PAYLOADS if "a%c" <= p <= "abc")
    assert found == ["a%c", "a.b", "a\\c", "a_c", "abc"]


def _range(api, low, high):
    url = "/v2/events?" + parse.urlencode(
        [
            ("limit", "1000"),
            ("q.field", "value"),
            ("q.op", "ge"),
            ("q.value", low),
            ("q.field", "value"),
            ("q.op", "le"),
            ("q.value", high),
            ("q.field", "all_tenants"),
            ("q.value", "True"),
        ]
    )
    return sorted(e["message_id"] for e in api.get(url, headers=HEADERS).json)


@pytest.mark.parametrize(
    "value", [{"$gt": ""}, {"$where": "1"}, ["%"], {"$ne": None}]
)
def test_operators_as_json_values_are_refused(stored, value):
    body = {"q": [{"field": "value", "value": value}]}
    resp = stored.request(
        "/v2/events",
        method="GET",
        body=json.dumps(body).encode(),
        headers=HEADERS,
        expect_errors=True,
    )
    assert resp.status_int == 400
    assert resp.json["error_message"]["faultstring"] == (
        "q.value must be a string or a number."
    )
