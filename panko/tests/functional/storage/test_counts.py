"""Counting events, grouped or not, on every backend."""

from __future__ import annotations

import collections
import datetime

import pytest

from panko.storage import models
from panko.tests import eventgen

F = models.EventFilter
G = models.Grouping
BASE = datetime.datetime(2026, 3, 1, 22, 0, 0)


def _events():
    """Events over three hours across midnight, of two types, in two
    projects and without one."""
    events = []
    for i in range(30):
        events.append(
            eventgen.event(
                event_type="type.%s" % "ab"[i % 2],
                project=("p1", "p2", None)[i % 3],
                user=None if i % 3 == 2 else "u%d" % (i % 2),
                generated=BASE + datetime.timedelta(minutes=7 * i),
            )
        )
    return events


@pytest.fixture
def stored(storage_conn):
    events = _events()
    storage_conn.record_events(events)
    return events


def _expected(events, key):
    counts = collections.Counter(key(e) for e in events)
    return sorted(
        counts.items(), key=lambda kv: [(v is not None, v) for v in kv[0]]
    )


def _got(conn, event_filter, grouping=None, limit=None):
    return [
        (g.values, g.count)
        for g in conn.count_events(event_filter, grouping, limit)
    ]


def test_plain_counts(storage_conn, stored):
    assert _got(storage_conn, F()) == [((), 30)]
    assert _got(storage_conn, F(event_type="type.a")) == [((), 15)]
    assert _got(storage_conn, F(event_type="nope")) == [((), 0)]
    window = F(
        start_timestamp=BASE + datetime.timedelta(minutes=70),
        end_timestamp=BASE + datetime.timedelta(minutes=140),
    )
    assert _got(storage_conn, window) == [((), 11)]


@pytest.mark.parametrize(
    "scope, expected",
    [
        ({"project": "p1"}, 10),
        ({"project": "p1", "user": "u0"}, 5),
        ({"admin_project": "p2"}, 20),
        ({"project": "elsewhere"}, 0),
    ],
)
def test_counts_keep_the_project_scope(storage_conn, stored, scope, expected):
    assert _got(storage_conn, F(**scope)) == [((), expected)]


@pytest.mark.parametrize(
    "keys, bucket, key",
    [
        (("event_type",), None, lambda e: (e.event_type,)),
        (("project_id",), None, lambda e: (e.project_id,)),
        (
            ("generated",),
            "hour",
            lambda e: (e.generated.replace(minute=0, second=0),),
        ),
        (
            ("generated",),
            "day",
            lambda e: (e.generated.replace(hour=0, minute=0, second=0),),
        ),
        (
            ("project_id", "event_type"),
            None,
            lambda e: (e.project_id, e.event_type),
        ),
    ],
)
def test_grouped_counts(storage_conn, stored, keys, bucket, key):
    got = _got(storage_conn, F(), G(keys, bucket))
    assert got == _expected(stored, key)


def test_grouped_counts_in_the_admin_scope_with_a_limit(storage_conn, stored):
    grouping = G(("project_id", "event_type"))
    visible = [e for e in stored if e.project_id in ("p2", None)]
    expected = _expected(visible, lambda e: (e.project_id, e.event_type))
    got = _got(storage_conn, F(admin_project="p2"), grouping)
    assert got == expected
    assert (
        _got(storage_conn, F(admin_project="p2"), grouping, 3)
        == (expected[:3])
    )


def test_grouped_counts_of_nothing_are_empty(storage_conn, stored):
    assert _got(storage_conn, F(event_type="nope"), G(("event_type",))) == []


def test_counts_with_trait_and_position_filters(storage_conn, stored):
    trait = models.TraitFilter("user_id", models.TEXT_TYPE, "eq", "u1")
    assert _got(storage_conn, F(traits=(trait,))) == [((), 10)]
    positions = [e.position for e in storage_conn.get_events(F())]
    after = sorted(positions)[9]
    assert _got(storage_conn, F(after_position=after)) == [((), 20)]
