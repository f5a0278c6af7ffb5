"""PostgreSQL's reads of one statement (``Facade.read_all``): not pinged
first, and made again when their connection turns out to be lost."""

from __future__ import annotations

from oslo_db import exception as db_exc
import pytest
import sqlalchemy as sa
from sqlalchemy import event as sa_event

from panko.storage import models
from panko.tests import eventgen

pytestmark = pytest.mark.backends("postgresql")

PAGE = models.Pagination(limit=10)


@pytest.fixture
def stored(storage_conn):
    events = [eventgen.event() for _ in range(4)]
    storage_conn.record_events(events)
    return sorted(events, key=lambda e: (e.generated, e.message_id))


def _listed(storage_conn) -> set[str]:
    return {
        e.message_id
        for e in storage_conn.get_events(models.EventFilter(), PAGE)
    }


def _statements(engine) -> list[str]:
    seen: list[str] = []

    @sa_event.listens_for(engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, *args):
        seen.append(statement)

    return seen


def test_reads_are_not_preceded_by_pings(storage_conn, stored, monkeypatch):
    engine = storage_conn.facade.statement_engine
    _listed(storage_conn)
    pings = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(
        engine.dialect, "do_ping", lambda c: pings.append(c) or ping(c)
    )
    seen = _statements(engine)
    for _ in range(3):
        assert _listed(storage_conn) == {e.message_id for e in stored}
    assert pings == []
    assert len(seen) == 3


def test_a_read_whose_connection_was_lost_is_made_again(storage_conn, stored):
    facade = storage_conn.facade
    _listed(storage_conn)  # a connection is now in the pool
    with facade.statement_engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with facade.autocommit() as admin:
        admin.exec_driver_sql("SELECT pg_terminate_backend(%d)" % pid)
    seen = _statements(facade.statement_engine)
    assert _listed(storage_conn) == {e.message_id for e in stored}
    # The read on the lost connection, then the one on a new connection.
    assert len(seen) == 2
    with facade.statement_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid


def test_a_failing_statement_is_not_made_again(storage_conn):
    facade = storage_conn.facade
    seen = _statements(facade.statement_engine)
    with pytest.raises(db_exc.DBError):
        facade.read_all(sa.text("SELECT 1 / 0"))
    assert len(seen) == 1


def test_statements_see_what_was_committed_since_the_last_read(
    storage_conn, stored
):
    # Autocommit: no snapshot is held from one read to the next.
    assert len(_listed(storage_conn)) == 4
    more = eventgen.event()
    storage_conn.record_events([more])
    assert more.message_id in _listed(storage_conn)
