"""panko's additions to GET /v2/events and GET /v2/event_counts, on
every backend: following positions, and counting."""

from __future__ import annotations

import json

import pytest

from panko.tests import apidata
from panko.tests import eventgen

ADMIN = apidata.ADMIN
ALL = [
    ("q.field", "all_tenants"),
    ("q.op", "eq"),
    ("q.type", "string"),
    ("q.value", "True"),
]


def after(position, op="gt", type_="integer"):
    """The condition of a poller; conditions are matched attribute by
    attribute, so it gives a type as ALL does."""
    return [
        ("q.field", "position"),
        ("q.op", op),
        ("q.type", type_),
        ("q.value", str(position)),
    ]


def fault(resp) -> str:
    return resp.json["error_message"]["faultstring"]


def test_every_event_has_its_position(api, sample):
    listed = api.get("/v2/events", ALL, headers=ADMIN).json
    positions = [e["position"] for e in listed]
    assert all(isinstance(p, int) and p > 0 for p in positions)
    assert len(set(positions)) == len(positions)
    one = api.get("/v2/events/ev-admin", headers=ADMIN).json
    assert one["position"] in positions


def test_after_a_position_in_position_order(api, storage_conn):
    # Stored newest first: position order is the reverse of time order.
    events = [eventgen.event(minutes=10 - i) for i in range(6)]
    for event in events:
        storage_conn.record_events([event])
    got = api.get("/v2/events", after(0) + ALL, headers=ADMIN).json
    assert [e["message_id"] for e in got] == [e.message_id for e in events]
    third = got[2]["position"]
    later = api.get("/v2/events", after(third) + ALL, headers=ADMIN).json
    assert [e["message_id"] for e in later] == [
        e.message_id for e in events[3:]
    ]
    same = api.get("/v2/events", after(third, "ge") + ALL, headers=ADMIN).json
    assert [e["message_id"] for e in same] == [
        e.message_id for e in events[2:]
    ]
    typed = api.get(
        "/v2/events", after(third, type_="string") + ALL, headers=ADMIN
    ).json
    assert typed == later
    desc = api.get(
        "/v2/events",
        after(0) + ALL + [("sort", "position:desc")],
        headers=ADMIN,
    ).json
    assert desc == got[::-1]
    # A poller's pages: limit and marker with the cursor.
    page = api.get(
        "/v2/events",
        after(0) + ALL + [("limit", "2"), ("marker", got[1]["message_id"])],
        headers=ADMIN,
    ).json
    assert page == got[2:4]
    # In a JSON body too.
    body = api.request(
        "/v2/events",
        method="GET",
        body=json.dumps(
            {
                "q": [
                    {"field": "position", "op": "gt", "value": third},
                    {"field": "all_tenants", "value": "True"},
                ]
            }
        ).encode(),
        headers=ADMIN | {"Content-Type": "application/json"},
    ).json
    assert body == later


def test_a_member_follows_only_its_project(api, sample):
    got = api.get(
        "/v2/events", after(0, type_="integer"), headers=apidata.MEMBER_A
    ).json
    assert [e["message_id"] for e in got] == ["ev-a1", "ev-a2"]
    admin = api.get("/v2/events", after(0), headers=ADMIN).json
    assert [e["message_id"] for e in admin] == ["ev-n1", "ev-admin"]
    every = api.get(
        "/v2/events", after(0, type_="integer") + ALL, headers=ADMIN
    ).json
    assert len(every) == 5


@pytest.mark.parametrize(
    "params, message",
    [
        (
            after(3, "eq"),
            "The field position accepts only the operators gt and ge, not eq.",
        ),
        (
            after(3, "lt"),
            "The field position accepts only the operators gt and ge, not lt.",
        ),
        (
            after("x"),
            "The value 'x' of position is not a non-negative integer.",
        ),
        (
            after(-1),
            "The value '-1' of position is not a non-negative integer.",
        ),
        (
            after(2**63),
            "The position 9223372036854775808 is too large.",
        ),
        (
            after(1) + after(2),
            "The field position appears in more than one condition.",
        ),
        (
            [("sort", "position:sideways")],
            "Cannot sort position 'sideways': the directions are asc, desc.",
        ),
    ],
)
def test_bad_cursors_are_refused(api, params, message):
    resp = api.get("/v2/events", params, headers=ADMIN, status=400)
    assert fault(resp) == message


def counts(api, params=(), headers=ADMIN, **kwargs):
    return api.get("/v2/event_counts", list(params), headers=headers, **kwargs)


def test_counts_follow_the_listing_scope(api, sample):
    assert counts(api, ALL).json == {"count": 5}
    # An admin without all_tenants: their project and no project.
    assert counts(api).json == {"count": 2}
    assert counts(api, headers=apidata.MEMBER_A).json == {"count": 2}
    assert counts(api, headers=apidata.READER_A).json == {"count": 2}
    assert counts(api, headers=apidata.MEMBER_B).json == {"count": 1}
    # all_tenants is an admin's only: a member still counts its own.
    assert counts(api, ALL, headers=apidata.MEMBER_A).json == {"count": 2}
    other = [("q.field", "project_id"), ("q.value", "project-b")]
    assert counts(api, other, headers=apidata.MEMBER_A).json == {"count": 0}
    assert counts(api, other, headers=ADMIN).json == {"count": 0}
    assert counts(api, other + ALL, headers=ADMIN).json == {"count": 1}


def test_counts_accept_the_listing_filters(api, sample):
    def count(*conditions):
        params = list(ALL)
        for field, op, type_, value in conditions:
            params += [
                ("q.field", field),
                ("q.op", op),
                ("q.type", type_),
                ("q.value", value),
            ]
        return counts(api, params).json["count"]

    assert count(("event_type", "eq", "string", "image.update")) == 1
    assert count(("vcpus", "ge", "integer", "4")) == 2
    assert (
        count(
            ("start_timestamp", "ge", "string", "2026-01-01T00:30:00"),
            ("end_timestamp", "le", "string", "2026-01-02T00:00:00"),
        )
        == 2
    )
    assert count(("host", "eq", "string", "node-1")) == 2


def test_grouped_counts(api, sample):
    by_type = counts(api, ALL + [("group_by", "event_type")]).json
    assert by_type == {
        "groups": [
            {"event_type": "compute.instance.create.end", "count": 2},
            {"event_type": "compute.instance.delete.end", "count": 1},
            {"event_type": "identity.user.created", "count": 1},
            {"event_type": "image.update", "count": 1},
        ],
        "truncated": False,
    }
    by_project = counts(api, ALL + [("group_by", "project_id")]).json
    assert by_project["groups"] == [
        {"project_id": None, "count": 1},
        {"project_id": "admin-project", "count": 1},
        {"project_id": "project-a", "count": 2},
        {"project_id": "project-b", "count": 1},
    ]
    by_day = counts(
        api, ALL + [("group_by", "generated"), ("bucket", "day")]
    ).json
    assert by_day["groups"] == [
        {"generated": "2026-01-01T00:00:00", "count": 2},
        {"generated": "2026-01-02T00:00:00", "count": 1},
        {"generated": "2026-01-03T00:00:00", "count": 1},
        {"generated": "2026-01-04T00:00:00", "count": 1},
    ]
    by_hour = counts(
        api,
        [("group_by", "project_id"), ("group_by", "generated")]
        + [("bucket", "hour"), ("limit", "2")],
        headers=apidata.MEMBER_A,
    ).json
    assert by_hour == {
        "groups": [
            {
                "project_id": "project-a",
                "generated": "2026-01-01T00:00:00",
                "count": 1,
            },
            {
                "project_id": "project-a",
                "generated": "2026-01-01T01:00:00",
                "count": 1,
            },
        ],
        "truncated": False,
    }
    limited = counts(api, ALL + [("group_by", "event_type"), ("limit", 3)])
    assert limited.json["groups"] == by_type["groups"][:3]
    assert limited.json["truncated"] is True


def test_a_member_never_counts_another_project(api, sample):
    got = counts(
        api, ALL + [("group_by", "project_id")], headers=apidata.MEMBER_B
    ).json
    assert got["groups"] == [{"project_id": "project-b", "count": 1}]


@pytest.mark.parametrize(
    "params, message",
    [
        (
            [("group_by", "host")],
            "Cannot group by 'host': the group keys are event_type, "
            "project_id, generated.",
        ),
        (
            [("group_by", "event_type"), ("group_by", "event_type")],
            "A group key is given more than once.",
        ),
        (
            [("group_by", "generated")],
            "Grouping by generated needs a bucket: one of hour, day.",
        ),
        (
            [("group_by", "generated"), ("bucket", "week")],
            "The bucket 'week' is not one of hour, day.",
        ),
        (
            [("bucket", "hour")],
            "A bucket is only given with group_by=generated.",
        ),
        ([("limit", "0")], "The limit must be a positive integer, not 0."),
        ([("sort", "generated")], "Unknown argument: 'sort'."),
        (
            [("q.field", "event_type"), ("q.op", "ne"), ("q.value", "x")],
            "The field event_type accepts only the operator eq, not ne.",
        ),
    ],
)
def test_bad_counts_are_refused(api, params, message):
    assert fault(counts(api, params, status=400)) == message


def test_counts_need_an_identity_and_a_role(api, sample):
    counts(api, headers=apidata.NO_ROLES, status=403)
    counts(api, headers=apidata.SERVICE, status=403)


def test_counts_take_their_arguments_in_a_json_body(api, sample):
    resp = api.request(
        "/v2/event_counts",
        method="GET",
        body=json.dumps(
            {
                "q": [{"field": "all_tenants", "value": "True"}],
                "group_by": ["generated"],
                "bucket": "day",
                "limit": 1,
            }
        ).encode(),
        headers=ADMIN | {"Content-Type": "application/json"},
    )
    assert resp.json == {
        "groups": [{"generated": "2026-01-01T00:00:00", "count": 2}],
        "truncated": True,
    }
