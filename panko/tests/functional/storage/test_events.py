"""The storage contract, on every backend: writing and reading events."""

from __future__ import annotations

import datetime
import json

import pytest

from panko.api import render
from panko.storage import exceptions
from panko.storage import models
from panko.tests import eventgen

T = models.Trait
F = models.EventFilter
TEXT, INT, FLOAT, DT = (
    models.TEXT_TYPE,
    models.INT_TYPE,
    models.FLOAT_TYPE,
    models.DATETIME_TYPE,
)


def listed(conn, event_filter=None, **pagination):
    return list(
        conn.get_events(event_filter or F(), models.Pagination(**pagination))
    )


def test_event_round_trip(storage_conn):
    launched = datetime.datetime(2026, 2, 28, 23, 59, 59, 123456)
    event = eventgen.event(
        traits=[
            T("host", TEXT, "node-1"),
            T("vcpus", INT, 2**63 - 1),
            T("small", INT, -(2**63)),
            T("ratio", FLOAT, 0.1),
            T("launched_at", DT, launched),
        ],
        raw={"payload": {"nested": ["a", 1, None, True]}, "u": "é\u2603"},
    )
    assert storage_conn.record_events([event]).stored == [event.message_id]
    [got] = listed(storage_conn)
    assert got.message_id == event.message_id
    assert got.event_type == event.event_type
    assert got.generated == event.generated
    assert got.raw == event.raw
    assert sorted(got.traits, key=lambda t: t.name) == sorted(
        event.traits, key=lambda t: t.name
    )
    assert got.position >= 1


def test_events_read_encoded_show_the_same(storage_conn):
    # The API reads events encoded: the same answer, without decoding.
    events = [
        eventgen.event(
            traits=[
                T("host", TEXT, "node-1 \u2603"),
                T("vcpus", INT, -(2**63)),
                T("ratio", FLOAT, 1e20),
                T("whole", FLOAT, 2.0),
                T("launched_at", DT, datetime.datetime(2026, 1, 1)),
                T("ended_at", DT, datetime.datetime(2026, 1, 1, 0, 0, 1, 5)),
            ],
            raw={"u": "é", "n": [1.5, None, True]},
        ),
        eventgen.event(project=None, user=None, raw=None),
        eventgen.event(raw={}),
    ]
    storage_conn.record_events(events)
    decoded = listed(storage_conn)
    encoded = list(
        storage_conn.get_events(F(), models.Pagination(), encoded=True)
    )
    assert [e.message_id for e in encoded] == [e.message_id for e in decoded]
    for plain, shown in zip(decoded, encoded, strict=True):
        assert shown.raw is None
        assert shown.project_id == plain.project_id
        assert render.json_response(render.event(shown)).body == (
            render.json_response(render.event(plain)).body
        )


def test_encoded_raw_keeps_integers_beyond_64_bits(storage_conn):
    event = eventgen.event(raw={"big": 2**70, "small": -(2**70)})
    storage_conn.record_events([event])
    [shown] = storage_conn.get_events(F(), models.Pagination(), encoded=True)
    body = render.json_response(render.event(shown)).body
    assert json.loads(body)["raw"] == event.raw


def test_events_without_traits_or_raw(storage_conn):
    bare = eventgen.event(project=None, user=None, raw=None)
    empty = eventgen.event(project=None, user=None, raw={})
    storage_conn.record_events([bare, empty])
    got = {e.message_id: e for e in listed(storage_conn)}
    assert got[bare.message_id].traits == []
    assert got[bare.message_id].raw is None
    assert got[empty.message_id].raw == {}


def test_long_and_unicode_values_are_kept_whole(storage_conn):
    long_text = "x" * 300 + "ünïcødé ☃ 𝄞" + "y" * 100000
    name = 'trait with "quotes", dots.and $dollars \\ ☃'
    event = eventgen.event(
        traits=[T("description", TEXT, long_text), T(name, TEXT, "💡")],
        raw={"big": "z" * 500000},
    )
    storage_conn.record_events([event])
    [got] = listed(storage_conn)
    assert got.trait("description").value == long_text
    assert got.trait(name).value == "💡"
    assert len(got.raw["big"]) == 500000
    [found] = listed(
        storage_conn, F(traits=(models.TraitFilter(name, TEXT, "eq", "💡"),))
    )
    assert found.message_id == event.message_id


def test_duplicates_inside_and_across_batches(storage_conn):
    first = eventgen.event()
    again = eventgen.event(
        message_id=first.message_id, generated=first.generated
    )
    other = eventgen.event()
    result = storage_conn.record_events([first, again, other])
    assert sorted(result.stored) == sorted(
        [first.message_id, other.message_id]
    )
    assert result.duplicates == [first.message_id]
    newer = eventgen.event()
    result = storage_conn.record_events([other, newer, first])
    assert result.stored == [newer.message_id]
    assert sorted(result.duplicates) == sorted(
        [other.message_id, first.message_id]
    )
    assert len(listed(storage_conn)) == 3


def test_invalid_events_are_rejected_and_the_rest_stored(storage_conn, conf):
    conf.set_override("max_raw_size", 2048, "database")
    too_big = eventgen.event(raw={"blob": "x" * 4096})
    long_project = eventgen.event(project="p" * 256)
    fine = eventgen.event()
    result = storage_conn.record_events([too_big, long_project, fine])
    assert result.stored == [fine.message_id]
    reasons = dict(result.rejected)
    assert "max_raw_size" in reasons[too_big.message_id]
    assert "project_id" in reasons[long_project.message_id]
    assert eventgen.ids(listed(storage_conn)) == [fine.message_id]


def test_positions_follow_commit_order(storage_conn):
    batches = [[eventgen.event() for _ in range(3)] for _ in range(3)]
    for batch in batches:
        storage_conn.record_events(batch)
    positions = {e.message_id: e.position for e in listed(storage_conn)}
    ordered = [positions[e.message_id] for batch in batches for e in batch]
    assert ordered == sorted(ordered)
    assert len(set(ordered)) == 9


# -- filters --

VALUES = {
    TEXT: ["alpha", "beta", "gamma"],
    INT: [-5, 0, 2**40],
    FLOAT: [-1.5, 0.25, 1e10],
    DT: [
        datetime.datetime(2020, 1, 1),
        datetime.datetime(2024, 6, 1, 1, 2, 3, 456789),
        datetime.datetime(2030, 12, 31, 23, 59, 59, 999999),
    ],
}
OPS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


@pytest.mark.parametrize("dtype", sorted(VALUES))
@pytest.mark.parametrize("op", sorted(OPS))
def test_trait_filter_ops_and_types(storage_conn, dtype, op):
    values = VALUES[dtype]
    events = [eventgen.event(traits=[T("value", dtype, v)]) for v in values]
    without = eventgen.event(traits=[T("other", dtype, values[1])])
    storage_conn.record_events(events + [without])
    pivot = values[1]
    expected = [
        e.message_id
        for e, v in zip(events, values, strict=True)
        if OPS[op](v, pivot)
    ]
    got = listed(
        storage_conn,
        F(traits=(models.TraitFilter("value", dtype, op, pivot),)),
    )
    assert eventgen.ids(got) == expected


def test_trait_filter_type_must_match(storage_conn):
    storage_conn.record_events(
        [
            eventgen.event(traits=[T("size", TEXT, "10")]),
        ]
    )
    assert (
        listed(
            storage_conn,
            F(traits=(models.TraitFilter("size", INT, "eq", 10),)),
        )
        == []
    )
    assert (
        len(
            listed(
                storage_conn,
                F(traits=(models.TraitFilter("size", TEXT, "eq", "10"),)),
            )
        )
        == 1
    )


def test_several_trait_filters_all_hold(storage_conn):
    a = eventgen.event(traits=[T("host", TEXT, "n1"), T("vcpus", INT, 4)])
    b = eventgen.event(traits=[T("host", TEXT, "n1"), T("vcpus", INT, 1)])
    c = eventgen.event(traits=[T("host", TEXT, "n2"), T("vcpus", INT, 4)])
    storage_conn.record_events([a, b, c])
    got = listed(
        storage_conn,
        F(
            traits=(
                models.TraitFilter("host", TEXT, "eq", "n1"),
                models.TraitFilter("vcpus", INT, "ge", 2),
            )
        ),
    )
    assert eventgen.ids(got) == [a.message_id]


def test_time_type_and_id_filters(storage_conn):
    events = [
        eventgen.event(minutes=m, event_type="t%d" % (m % 2)) for m in range(6)
    ]
    storage_conn.record_events(events)
    start, end = events[1].generated, events[4].generated
    got = listed(storage_conn, F(start_timestamp=start, end_timestamp=end))
    assert eventgen.ids(got) == eventgen.ids(events[1:5])
    got = listed(storage_conn, F(event_type="t1"))
    assert eventgen.ids(got) == eventgen.ids(events[1::2])
    got = listed(storage_conn, F(event_type="no.such.type"))
    assert got == []
    got = listed(
        storage_conn, F(message_id=events[3].message_id, event_type="t1")
    )
    assert eventgen.ids(got) == [events[3].message_id]


@pytest.mark.parametrize(
    "payload",
    [
        "'; DROP TABLE event; --",
        '{"$where": "sleep(1000)"}',
        '{"$gt": ""}',
        "\\' OR 1=1 --",
        "%_*?",
    ],
)
def test_operator_payloads_are_stored_and_matched_literally(
    storage_conn, payload
):
    event = eventgen.event(
        message_id=payload,
        event_type=payload,
        project=payload,
        traits=[T(payload, TEXT, payload)],
    )
    decoy = eventgen.event(traits=[T(payload, TEXT, payload + "x")])
    storage_conn.record_events([event, decoy])
    for event_filter in (
        F(message_id=payload),
        F(event_type=payload),
        F(project=payload),
        F(traits=(models.TraitFilter(payload, TEXT, "eq", payload),)),
    ):
        assert eventgen.ids(listed(storage_conn, event_filter)) == [payload]
    assert payload in list(storage_conn.get_event_types())


# -- project scopes --


def _scoped_events(conn):
    events = {
        "a1": eventgen.event(project="proj-a", user="u1"),
        "a2": eventgen.event(project="proj-a", user="u2"),
        "b1": eventgen.event(project="proj-b", user="u1"),
        "none": eventgen.event(project=None, user=None),
        "prefix": eventgen.event(project="proj-a-2", user="u1"),
        "case": eventgen.event(project="PROJ-A", user="u1"),
        "space": eventgen.event(project="proj-a ", user="u1"),
    }
    conn.record_events(list(events.values()))
    return {e.message_id: name for name, e in events.items()}


@pytest.mark.parametrize(
    "event_filter, expected",
    [
        (F(project="proj-a"), {"a1", "a2"}),
        (F(project="proj-a", user="u1"), {"a1"}),
        (F(admin_project="proj-a"), {"a1", "a2", "none"}),
        (F(admin_project="proj-b"), {"b1", "none"}),
        (F(), {"a1", "a2", "b1", "none", "prefix", "case", "space"}),
        (
            F(
                project="proj-a",
                traits=(
                    models.TraitFilter("project_id", TEXT, "eq", "proj-b"),
                ),
            ),
            set(),
        ),
        (
            F(
                project="proj-a",
                traits=(
                    models.TraitFilter("project_id", TEXT, "ne", "proj-a"),
                ),
            ),
            set(),
        ),
        (
            F(
                admin_project="proj-a",
                traits=(models.TraitFilter("user_id", TEXT, "eq", "u1"),),
            ),
            {"a1"},
        ),
    ],
)
def test_project_scopes(storage_conn, event_filter, expected):
    names = _scoped_events(storage_conn)
    got = {names[e.message_id] for e in listed(storage_conn, event_filter)}
    assert got == expected


def test_marker_outside_the_scope_is_unknown(storage_conn):
    names = _scoped_events(storage_conn)
    other = next(mid for mid, name in names.items() if name == "b1")
    with pytest.raises(exceptions.InvalidMarker):
        listed(storage_conn, F(project="proj-a"), marker=other)
    with pytest.raises(exceptions.InvalidMarker):
        listed(storage_conn, F(), marker="no-such-event")


# -- sorting and pagination --


def _sortable_events(conn):
    # Several events share a generated time, so that message_id decides.
    events = []
    for i in range(23):
        events.append(
            eventgen.event(message_id="m%02d" % ((i * 7) % 23), minutes=i // 3)
        )
    conn.record_events(events)
    return events


def _expected(events, sort):
    key_of = {
        "generated": lambda e: e.generated,
        "message_id": lambda e: e.message_id,
    }
    ordered = list(events)
    for key, direction in reversed(models.Pagination(sort=sort).total_order()):
        ordered.sort(key=key_of[key], reverse=direction == "desc")
    return eventgen.ids(ordered)


SORTS = [
    (),
    (("generated", "asc"),),
    (("generated", "desc"),),
    (("generated", "desc"), ("message_id", "asc")),
    (("generated", "asc"), ("message_id", "desc")),
    (("message_id", "desc"),),
    (("message_id", "asc"), ("generated", "desc")),
]


@pytest.mark.parametrize("sort", SORTS)
def test_sort_orders(storage_conn, sort):
    events = _sortable_events(storage_conn)
    assert eventgen.ids(listed(storage_conn, sort=sort)) == _expected(
        events, sort
    )


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("limit", [1, 4, 23, 50])
def test_marker_walk_has_no_gap_and_no_repeat(storage_conn, sort, limit):
    events = _sortable_events(storage_conn)
    seen, marker = [], None
    for _ in range(30):
        page = listed(storage_conn, sort=sort, limit=limit, marker=marker)
        if not page:
            break
        assert len(page) <= limit
        seen.extend(eventgen.ids(page))
        marker = page[-1].message_id
    assert seen == _expected(events, sort)


def test_admin_scope_pages_merge_both_branches(storage_conn):
    events = []
    for i in range(12):
        project = "proj-a" if i % 3 else None
        events.append(eventgen.event(project=project, minutes=i))
    events.append(eventgen.event(project="proj-b", minutes=5))
    storage_conn.record_events(events)
    expected = [e.message_id for e in events if e.project_id != "proj-b"]
    seen, marker = [], None
    while True:
        page = listed(
            storage_conn, F(admin_project="proj-a"), limit=5, marker=marker
        )
        if not page:
            break
        seen.extend(eventgen.ids(page))
        marker = page[-1].message_id
    assert seen == expected


# -- types and traits --


def test_event_types_and_their_traits(storage_conn):
    storage_conn.record_events(
        [
            eventgen.event(
                event_type="b.type",
                project=None,
                user=None,
                traits=[T("host", TEXT, "h1"), T("size", INT, 1)],
            ),
            eventgen.event(
                event_type="b.type",
                project=None,
                user=None,
                traits=[T("host", TEXT, "h2"), T("size", FLOAT, 1.5)],
            ),
            eventgen.event(
                event_type="a.type",
                project=None,
                user=None,
                traits=[T("zone", TEXT, "z")],
            ),
        ]
    )
    assert list(storage_conn.get_event_types()) == ["a.type", "b.type"]
    assert list(storage_conn.get_trait_types("b.type")) == [
        models.TraitType("host", TEXT),
        models.TraitType("size", INT),
        models.TraitType("size", FLOAT),
    ]
    assert list(storage_conn.get_trait_types("nothing")) == []
    assert [t.value for t in storage_conn.get_traits("b.type", "host")] == [
        "h1",
        "h2",
    ]
    assert list(storage_conn.get_traits("b.type", "size")) == [
        T("size", INT, 1),
        T("size", FLOAT, 1.5),
    ]
    assert [
        t.value for t in storage_conn.get_traits("b.type", "host", limit=1)
    ] == ["h1"]
    assert sorted(t.name for t in storage_conn.get_traits("b.type")) == [
        "host",
        "host",
        "size",
        "size",
    ]
    assert list(storage_conn.get_traits("b.type", "missing")) == []


def test_values_of_one_trait_are_decoded_and_typed(storage_conn):
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, 6)
    storage_conn.record_events(
        [
            eventgen.event(
                event_type="c.type",
                project="p1",
                user="u1",
                traits=[T("when", DT, when), T("ratio", FLOAT, 2.0)],
            ),
            eventgen.event(
                event_type="c.type",
                project=None,
                user=None,
                traits=[T("when", TEXT, "soon")],
            ),
        ]
    )
    assert list(storage_conn.get_traits("c.type", "when")) == [
        T("when", DT, when),
        T("when", TEXT, "soon"),
    ]
    assert list(storage_conn.get_traits("c.type", "ratio")) == [
        T("ratio", FLOAT, 2.0)
    ]
    assert list(storage_conn.get_traits("c.type", "project_id")) == [
        T("project_id", TEXT, "p1")
    ]
    assert list(storage_conn.get_traits("c.type", "user_id", limit=5)) == [
        T("user_id", TEXT, "u1")
    ]
