"""PostgreSQL reads run as prepared statements (``prepared.py``)."""

from __future__ import annotations

import pytest

from panko import storage
from panko.storage import models
from panko.tests import eventgen

pytestmark = pytest.mark.backends("postgresql")

F = models.EventFilter
SHAPES = (
    (F(), models.Pagination(limit=5)),
    (F(event_type="compute.start"), models.Pagination(limit=3)),
    (F(project="project-1", user="user-1"), models.Pagination(limit=2)),
    (
        F(traits=(models.TraitFilter("host", 1, "eq", "host-100%"),)),
        models.Pagination(limit=4),
    ),
)


def _plans(connection) -> dict[str, tuple[int, int]]:
    """Generic and custom plans of each statement, over the two
    connections of ``two_connections`` (held together to see both)."""
    plans: dict[str, tuple[int, int]] = {}
    engine = connection.facade.statement_engine
    with engine.connect() as first, engine.connect() as second:
        for conn in (first, second):
            for statement, generic, custom in conn.exec_driver_sql(
                "SELECT statement, generic_plans, custom_plans "
                "FROM pg_prepared_statements"
            ):
                before = plans.get(statement, (0, 0))
                plans[statement] = (before[0] + generic, before[1] + custom)
    return plans


def _prepared(connection) -> list[str]:
    return list(_plans(connection))


def _listed(connection):
    return [
        [e.message_id for e in connection.get_events(f, p, encoded=True)]
        for f, p in SHAPES
    ]


@pytest.fixture
def sample(storage_conn):
    events = [
        eventgen.event(
            event_type="compute.start" if i % 2 else "compute.end",
            project="project-%d" % (i % 3),
            user="user-%d" % (i % 3),
            traits=[models.Trait("host", 1, "host-100%" if i % 4 else "h")],
        )
        for i in range(30)
    ]
    storage_conn.record_events(events)
    return events


@pytest.fixture
def two_connections(conf, _upgraded, sample):
    """A driver of two pooled connections (a streaming read and the
    event type names it looks up), so that what it prepared is found."""
    conf.set_override("max_pool_size", 2, "database")
    conf.set_override("max_overflow", 0, "database")
    connection = storage.get_connection(conf, _upgraded)
    yield connection
    connection.close()


def test_reads_are_prepared_and_answer_as_unprepared(
    two_connections, conf, _upgraded
):
    storage_conn = two_connections
    first = _listed(storage_conn)
    # Executed again and again: the statements are found prepared.
    for _ in range(7):
        assert _listed(storage_conn) == first
    prepared = _prepared(storage_conn)
    assert any("WHERE event.event_type_id" in s for s in prepared)
    # The literal percent sign of a value goes through as a parameter.
    assert any("event.traits @>" in s for s in prepared)

    conf.set_override("prepared_statements", False, "database")
    plain = storage.get_connection(conf, _upgraded)
    try:
        assert _listed(plain) == first
        assert _prepared(plain) == []
    finally:
        plain.close()
    assert [len(ids) for ids in first] == [5, 3, 2, 4]


def test_queries_without_trait_conditions_are_planned_once(
    two_connections,
):
    storage_conn = two_connections
    ids = [e.message_id for e in storage_conn.get_events(F())]
    page = models.Pagination(limit=5, marker=ids[10])
    by_trait = F(traits=(models.TraitFilter("host", 1, "eq", "h"),))
    limit_20 = models.Pagination(limit=20)
    for _ in range(3):
        listed = storage_conn.get_events(F(), page, encoded=True)
        assert [e.message_id for e in listed] == ids[11:16]
        by_host = storage_conn.get_events(by_trait, limit_20, encoded=True)
        assert len(list(by_host)) == 8
    plans = _plans(storage_conn)
    [after_marker] = [s for s in plans if "event.generated >" in s]
    [with_trait] = [s for s in plans if "event.traits @>" in s]
    # Never a custom plan (the first execution builds the generic one).
    assert plans[after_marker][1] == 0
    assert plans[after_marker][0] >= 2
    # PostgreSQL makes custom plans for the first five executions.
    assert plans[with_trait] == (0, 3)
