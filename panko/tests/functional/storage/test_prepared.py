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


def _prepared(connection) -> list[str]:
    with connection.facade.statement_reader() as conn:
        rows = conn.exec_driver_sql(
            "SELECT statement FROM pg_prepared_statements"
        ).all()
    return [row.statement for row in rows]


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


def test_reads_are_prepared_and_answer_as_unprepared(
    storage_conn, sample, conf, _upgraded
):
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
