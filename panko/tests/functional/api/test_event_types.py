"""GET /v2/event_types, its traits and trait values, and capabilities."""

from __future__ import annotations

import pytest

from panko.tests import apidata
from panko.tests import eventgen

ADMIN = apidata.ADMIN
CREATE = "compute.instance.create.end"


def test_event_types(api, sample):
    expected = [
        "compute.instance.create.end",
        "compute.instance.delete.end",
        "identity.user.created",
        "image.update",
    ]
    assert api.get("/v2/event_types", headers=ADMIN).json == expected
    # pankoclient asks with a trailing slash.
    assert api.get("/v2/event_types/", headers=ADMIN).json == expected


def test_no_event_types(api):
    assert api.get("/v2/event_types", headers=ADMIN).json == []


def test_one_event_type_is_404_as_in_panko10(api, sample):
    resp = api.get("/v2/event_types/%s" % CREATE, headers=ADMIN, status=404)
    assert "traits" in resp.json["error_message"]["faultstring"]


def test_trait_types(api, sample):
    expected = [
        {"type": "string", "name": "host"},
        {"type": "datetime", "name": "launched_at"},
        {"type": "string", "name": "project_id"},
        {"type": "float", "name": "ratio"},
        {"type": "string", "name": "user_id"},
        {"type": "integer", "name": "vcpus"},
    ]
    path = "/v2/event_types/%s/traits" % CREATE
    assert api.get(path, headers=ADMIN).json == expected
    assert api.get(path + "/", headers=ADMIN).json == expected
    assert list(api.get(path, headers=ADMIN).json[0]) == ["type", "name"]


def test_trait_types_of_unknown_type(api, sample):
    resp = api.get("/v2/event_types/nope/traits", headers=ADMIN)
    assert resp.json == []


def test_trait_values(api, sample):
    path = "/v2/event_types/%s/traits/" % CREATE
    assert api.get(path + "host", headers=ADMIN).json == [
        {"name": "host", "value": "node-1", "type": "string"},
        {"name": "host", "value": "node-1", "type": "string"},
    ]
    assert api.get(path + "vcpus", headers=ADMIN).json == [
        {"name": "vcpus", "value": "2", "type": "integer"},
        {"name": "vcpus", "value": "8", "type": "integer"},
    ]
    assert api.get(path + "launched_at", headers=ADMIN).json == [
        {
            "name": "launched_at",
            "value": "2026-01-01T00:00:00",
            "type": "datetime",
        },
    ]
    assert api.get(path + "ratio", headers=ADMIN).json == [
        {"name": "ratio", "value": "0.5", "type": "float"},
    ]
    assert api.get(path + "nope", headers=ADMIN).json == []
    assert (
        api.get("/v2/event_types/nope/traits/host", headers=ADMIN).json == []
    )


def test_trait_values_limit(make_app, storage_conn):
    storage_conn.record_events(
        [
            eventgen.event(
                event_type="t",
                traits=[eventgen.models.Trait("n", 2, i)],
                minutes=i,
            )
            for i in range(5)
        ]
    )
    api = make_app(api={"max_api_return_limit": 3})
    path = "/v2/event_types/t/traits/n"
    values = [t["value"] for t in api.get(path, headers=ADMIN).json]
    # Without limit: the largest limit, [api] max_api_return_limit.
    assert values == ["0", "1", "2"]
    values = [
        t["value"] for t in api.get(path + "?limit=2", headers=ADMIN).json
    ]
    assert values == ["0", "1"]
    resp = api.get(path + "?limit=0", headers=ADMIN, status=400)
    assert "positive" in resp.json["error_message"]["faultstring"]
    resp = api.get(path + "?sort=name", headers=ADMIN, status=400)
    assert "sort" in resp.json["error_message"]["faultstring"]


@pytest.mark.parametrize(
    "path",
    [
        "/v2/event_types",
        "/v2/event_types/%s/traits" % CREATE,
        "/v2/event_types/%s/traits/host" % CREATE,
    ],
)
def test_listings_refuse_arguments(api, sample, path):
    resp = api.get(path + "?q.field=x&q.value=y", headers=ADMIN, status=400)
    assert "Unknown argument" in resp.json["error_message"]["faultstring"]


def test_capabilities(api):
    expected = {
        "api": {"events:query:simple": True},
        "event_storage": {"storage:production_ready": True},
    }
    assert api.get("/v2/capabilities", headers=ADMIN).json == expected
    assert api.get("/v2/capabilities/", headers=apidata.MEMBER_A).json == (
        expected
    )
