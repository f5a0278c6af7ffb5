"""Counts made with the tables of counts kept ahead of time (SQL).

Every count is checked against a model computed from the events stored,
in each state the tables can be in: nothing folded, some, all, events
stored after a fold (late ones too), after an expiry.
"""

from __future__ import annotations

import collections
import datetime

from oslo_utils import timeutils
import pytest
import sqlalchemy as sa

from panko.storage import models
from panko.storage.sqlalchemy import tables
from panko.storage.sqlalchemy import tallies
from panko.tests import eventgen

pytestmark = pytest.mark.backends("sqlite", "postgresql", "mysql")

F = models.EventFilter
G = models.Grouping

BASE = datetime.datetime(2026, 3, 1, 0, 0, 0)
HOUR = datetime.timedelta(hours=1)
EPOCH = datetime.datetime(1970, 1, 1)


def _events(start, count, step=datetime.timedelta(minutes=37)):
    """Events every ``step`` from ``start``, of three types, in three
    projects and without one."""
    return [
        eventgen.event(
            event_type="type.%s" % "abc"[i % 3],
            project=("p1", "p2", "p3", None)[i % 4],
            user="u%d" % (i % 2),
            generated=start + i * step,
        )
        for i in range(count)
    ]


# Over four days; a time before 1970 and the first moment of 1970 too.
STORED = _events(BASE + datetime.timedelta(minutes=5), 150) + [
    eventgen.event(event_type="type.a", generated=EPOCH - HOUR / 2),
    eventgen.event(event_type="type.a", project=None, generated=EPOCH),
]
LATE = _events(BASE + datetime.timedelta(hours=3, seconds=1), 20)

WINDOW = {
    "start_timestamp": BASE + datetime.timedelta(hours=5, minutes=30),
    "end_timestamp": BASE + datetime.timedelta(days=2, hours=7),
}
ALIGNED = {
    "start_timestamp": BASE + datetime.timedelta(hours=2),
    "end_timestamp": BASE + datetime.timedelta(days=1),
}
PROJECT_P2 = (models.TraitFilter("project_id", models.TEXT_TYPE, "eq", "p2"),)

CASES = [
    (F(), G()),
    (F(event_type="type.b"), G()),
    (F(**WINDOW), G()),
    (F(**ALIGNED), G()),
    (F(**ALIGNED, event_type="type.c"), G(("generated",), "hour")),
    (F(), G(("event_type",))),
    (F(), G(("generated",), "hour")),
    (F(), G(("generated",), "day")),
    (F(**WINDOW), G(("event_type", "generated"), "day")),
    (F(), G(("project_id",))),
    (F(**WINDOW), G(("project_id", "generated"), "day")),
    (F(project="p1"), G()),
    (F(project="p1", **WINDOW), G(("generated",), "day")),
    (F(admin_project="p2"), G(("project_id",))),
    (F(traits=PROJECT_P2, **ALIGNED), G()),
    # At the end of Python's time.
    (F(end_timestamp=datetime.datetime.max), G(("event_type",))),
    (
        F(
            start_timestamp=datetime.datetime.max.replace(minute=30),
            end_timestamp=datetime.datetime.max,
        ),
        G(),
    ),
    # Answered from the event table alone, for comparison.
    (F(project="p1", user="u0"), G()),
    (F(admin_project="p2"), G(("event_type",))),
]


def _visible(event, f: models.EventFilter) -> bool:
    if f.start_timestamp and event.generated < f.start_timestamp:
        return False
    if f.end_timestamp and event.generated > f.end_timestamp:
        return False
    if f.event_type and event.event_type != f.event_type:
        return False
    for tf in f.traits:
        if event.project_id != tf.value:
            return False
    if f.project is not None and event.project_id != f.project:
        return False
    users = [t.value for t in event.traits if t.name == "user_id"]
    if f.user is not None and users != [f.user]:
        return False
    if f.admin_project is not None and event.project_id not in (
        f.admin_project,
        None,
    ):
        return False
    return True


def _bucket(moment, bucket):
    start = moment.replace(minute=0, second=0, microsecond=0)
    return start.replace(hour=0) if bucket == "day" else start


def _model(events, f, grouping):
    key_of = {
        "event_type": lambda e: e.event_type,
        "project_id": lambda e: e.project_id,
        "generated": lambda e: _bucket(e.generated, grouping.bucket),
    }
    counted = collections.Counter(
        tuple(key_of[k](e) for k in grouping.keys)
        for e in events
        if _visible(e, f)
    )
    if not grouping.keys:
        return [((), counted[()])]
    return sorted(
        counted.items(),
        key=lambda kv: [(v is not None, v) for v in kv[0]],
    )


def _counts(conn, f, grouping, limit=None):
    return [(g.values, g.count) for g in conn.count_events(f, grouping, limit)]


def _check_every_case(conn, events):
    for f, grouping in CASES:
        assert _counts(conn, f, grouping) == _model(events, f, grouping), (
            f,
            grouping,
        )


def _fold(conn, most):
    with conn.facade.writer() as c:
        return tallies.fold(c, conn.dialect, most)


def _state(conn):
    return conn._count_state()


def test_counts_in_every_state_of_the_tables(storage_conn):
    storage_conn.record_events(STORED)
    _check_every_case(storage_conn, STORED)
    assert _fold(storage_conn, 60) == 60
    assert _state(storage_conn).folded == 60
    _check_every_case(storage_conn, STORED)
    assert storage_conn.fold_counts() == len(STORED) - 60
    assert storage_conn.fold_counts() == 0
    _check_every_case(storage_conn, STORED)
    # Late events, in hours the tables already count.
    storage_conn.record_events(LATE)
    _check_every_case(storage_conn, STORED + LATE)
    assert storage_conn.fold_counts() == len(LATE)
    _check_every_case(storage_conn, STORED + LATE)


def test_grouped_counts_from_the_tables_keep_their_limit(storage_conn):
    storage_conn.record_events(STORED)
    storage_conn.fold_counts()
    grouping = G(("generated",), "hour")
    expected = _model(STORED, F(), grouping)
    assert _counts(storage_conn, F(), grouping, 5) == expected[:5]


def test_counts_read_the_tables(storage_conn):
    """A count the tables can answer reads them: a row made wrong by
    hand shows in it (and a count they cannot answer does not)."""
    storage_conn.record_events(STORED)
    storage_conn.fold_counts()
    by_type = tables.count_by_type_hour
    by_project = tables.count_by_project_day
    with storage_conn.facade.writer() as c:
        c.execute(by_type.update().values(events=by_type.c.events + 1000))
        rows = c.execute(sa.select(sa.func.count()).select_from(by_type))
        type_rows = rows.scalar()
        c.execute(
            by_project.update()
            .where(by_project.c.project_id == "p1")
            .values(events=by_project.c.events + 1)
        )
        days = c.execute(
            sa.select(sa.func.count())
            .select_from(by_project)
            .where(by_project.c.project_id == "p1")
        ).scalar()
    assert _counts(storage_conn, F(), G()) == [
        ((), len(STORED) + 1000 * type_rows)
    ]
    p1 = [e for e in STORED if e.project_id == "p1"]
    assert _counts(storage_conn, F(project="p1"), G()) == [
        ((), len(p1) + days)
    ]
    member = F(project="p1", user="u0")
    assert _counts(storage_conn, member, G()) == _model(STORED, member, G())


def test_the_tables_hold_hours_and_days(storage_conn):
    storage_conn.record_events(STORED)
    storage_conn.fold_counts()
    with storage_conn.facade.reader() as c:
        by_type = c.execute(
            sa.select(
                tables.count_by_type_hour.c.hour,
                tables.count_by_type_hour.c.events,
            )
        ).all()
    hours = collections.Counter(_bucket(e.generated, "hour") for e in STORED)
    summed = collections.Counter()
    for hour, events in by_type:
        summed[hour] += events
    assert summed == hours


def test_a_count_made_while_the_tables_change_is_made_again(storage_conn):
    storage_conn.record_events(STORED[:100])
    made = []
    groups = storage_conn._groups

    def fold_meanwhile(stmt, grouping, limit):
        made.append(stmt)
        answer = groups(stmt, grouping, limit)
        if len(made) == 1:
            storage_conn.fold_counts()
        return answer

    storage_conn._groups = fold_meanwhile
    assert _counts(storage_conn, F(), G(("event_type",))) == _model(
        STORED[:100], F(), G(("event_type",))
    )
    assert len(made) == 2


def test_a_count_folds_when_many_events_wait(storage_conn, monkeypatch):
    monkeypatch.setattr(tallies, "FOLD_AFTER", 50)
    monkeypatch.setattr(tallies, "FOLD_CHUNK", 80)
    storage_conn.record_events(STORED)
    assert _counts(storage_conn, F(), G()) == [((), len(STORED))]
    assert _state(storage_conn).folded == 80
    assert _counts(storage_conn, F(), G()) == [((), len(STORED))]
    assert _state(storage_conn).folded == len(STORED)


@pytest.mark.backends("postgresql", "mysql")
def test_a_count_does_not_wait_for_another_fold(storage_conn, monkeypatch):
    monkeypatch.setattr(tallies, "FOLD_AFTER", 10)
    storage_conn.record_events(STORED)
    state = tables.count_state
    with storage_conn.facade.writer() as c:
        c.execute(sa.select(state.c.folded).with_for_update())
        # Held by another transaction: the count neither waits nor
        # folds, and counts the events from the event table.
        assert _counts(storage_conn, F(), G(("event_type",))) == _model(
            STORED, F(), G(("event_type",))
        )
        assert storage_conn._fold_chunk() is None
    assert _state(storage_conn).folded == 0


def test_expiry_moves_the_tables_start(storage_conn):
    now = timeutils.utcnow().replace(microsecond=0)
    # Half an hour from the time to live, whenever the expirer reads
    # the clock.
    old = _events(now - datetime.timedelta(days=4) + HOUR / 2, 100, HOUR)
    storage_conn.record_events(old)
    storage_conn.fold_counts()
    ttl = 2 * 86400
    cutoff = now - datetime.timedelta(seconds=ttl)
    removed = storage_conn.clear_expired_data(ttl)
    kept = [e for e in old if e.generated >= cutoff]
    assert removed == len(old) - len(kept)
    since = _state(storage_conn).since
    assert since == _bucket(cutoff, "day") + datetime.timedelta(days=1)
    with storage_conn.facade.reader() as c:
        oldest = c.execute(
            sa.select(sa.func.min(tables.count_by_type_hour.c.hour))
        ).scalar()
    assert oldest >= since
    _check_every_case(storage_conn, kept)
    # A late event older than the tables' start: counted, never folded.
    late = eventgen.event(generated=cutoff - HOUR, project="p1")
    storage_conn.record_events([late])
    storage_conn.fold_counts()
    _check_every_case(storage_conn, kept + [late])
    f = F(start_timestamp=cutoff - 2 * HOUR)
    assert _counts(storage_conn, f, G(("generated",), "day")) == _model(
        kept + [late], f, G(("generated",), "day")
    )


def test_a_count_whose_fold_fails_counts_from_the_events(
    storage_conn, monkeypatch, caplog
):
    monkeypatch.setattr(tallies, "FOLD_AFTER", 10)

    def broken(conn, dialect, most):
        raise sa.exc.OperationalError("fold", {}, Exception("disk full"))

    monkeypatch.setattr(tallies, "fold", broken)
    storage_conn.record_events(STORED)
    assert _counts(storage_conn, F(), G(("event_type",))) == _model(
        STORED, F(), G(("event_type",))
    )
    assert "Could not fold new events into the counts" in caplog.text
    assert _state(storage_conn).folded == 0
