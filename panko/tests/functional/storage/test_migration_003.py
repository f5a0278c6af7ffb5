"""Migration 003 rewrites the rows written before it (``raw`` holding
the notification alone) to hold the traits as served beside it."""

from __future__ import annotations

import zlib

from alembic import command
import pytest
import sqlalchemy as sa

from panko.api import render
from panko.storage import models
from panko.storage.sqlalchemy import codec
from panko.storage.sqlalchemy import migration
from panko.storage.sqlalchemy import tables
from panko.tests import eventgen

pytestmark = pytest.mark.backends("postgresql", "mysql", "sqlite")

E = tables.event


def _bodies(connection) -> dict[str, bytes]:
    return {
        e.message_id: render.json_response(render.event(e)).body
        for e in connection.get_events(
            models.EventFilter(), models.Pagination(), encoded=True
        )
    }


def test_rows_written_before_are_rewritten(storage_conn, conf):
    events = [
        eventgen.event(raw={"payload": {"é": [1, 2.5, None]}}),
        eventgen.event(raw=None),
        eventgen.event(raw={}),
        eventgen.event(project=None, user=None),
    ]
    storage_conn.record_events(events)
    expected = _bodies(storage_conn)
    engine = storage_conn.facade.engine
    with engine.begin() as conn:
        rows = conn.execute(sa.select(E.c.position, E.c.raw)).all()
        # The first three as revision 002 wrote them; the last as this
        # version writes them, before panko-dbsync ran.
        for row in rows[:3]:
            raw = codec.decode_shown(row.raw)[1]
            conn.execute(
                E.update()
                .where(E.c.position == row.position)
                .values(raw=None if raw is None else zlib.compress(raw))
            )
        # Nor had revision 002 the tables of counts of 004.
        for table in (
            tables.count_by_type_hour,
            tables.count_by_project_day,
            tables.count_state,
        ):
            table.drop(conn)
        command.stamp(
            migration._config(conn, conf), "002_partition_statistics"
        )
    migration.upgrade(engine, conf)

    assert _bodies(storage_conn) == expected
    with engine.connect() as conn:
        assert migration.current_revision(conn) == migration.head_revision()
