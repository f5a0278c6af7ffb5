"""Expiry drops whole partitions on PostgreSQL, and deletes in a few
index-range statements on MySQL."""

from __future__ import annotations

import datetime
import math

from oslo_utils import timeutils
import pytest

from panko.storage import models
from panko.tests.functional.perf import conftest as perf

DAYS = 6
KEPT_DAYS = 3


def _ttl_to(cutoff: datetime.datetime) -> int:
    # Rounded down: the expiry cutoff falls a fraction of a second after
    # ``cutoff``, and no event is generated in that fraction.
    return math.floor((timeutils.utcnow() - cutoff).total_seconds())


def _event_bytes(conn) -> int:
    return int(
        conn.exec_driver_sql(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = 'event'"
        ).scalar()
    )


@pytest.mark.backends("postgresql")
def test_postgresql_expiry_drops_partitions(storage_conn, statements):
    events = perf.notification_events(1200, days=DAYS)
    perf.store(storage_conn, events, batch=400)
    cutoff = perf.START + datetime.timedelta(days=DAYS - KEPT_DAYS)
    expired = [e for e in events if e.generated < cutoff]
    with storage_conn.facade.reader() as conn:
        size_before = _event_bytes(conn)

    removed = storage_conn.clear_expired_data(_ttl_to(cutoff))

    assert removed == len(expired)
    assert len(statements.of("DROP TABLE")) == DAYS - KEPT_DAYS
    assert not [
        s
        for s in statements.of("DELETE FROM event ")
        if "position IN" not in s
    ]
    with storage_conn.facade.reader() as conn:
        left = conn.exec_driver_sql("SELECT count(*) FROM event").scalar()
        size_after = _event_bytes(conn)
    assert left == len(events) - len(expired)
    # The disk space of the dropped partitions is given back at once.
    assert size_after < 0.7 * size_before


@pytest.mark.backends("mysql")
def test_mysql_expiry_deletes_index_ranges_in_batches(
    storage_conn, statements
):
    events = perf.notification_events(1200, days=DAYS)
    perf.store(storage_conn, events, batch=400)
    cutoff = perf.START + datetime.timedelta(days=DAYS - KEPT_DAYS)
    expired = [e for e in events if e.generated < cutoff]
    batch = 250

    removed = storage_conn.clear_expired_data(_ttl_to(cutoff), batch)

    assert removed == len(expired)
    deletes = statements.of("DELETE FROM event ")
    assert len(deletes) == len(expired) // batch + 1
    # On a big table each batch is an index range (on a small one, and
    # for half of it, the optimizer rightly prefers to read it all).
    with storage_conn.facade.reader() as conn:
        [plan] = conn.exec_driver_sql(
            "EXPLAIN DELETE FROM event WHERE generated < %(cutoff)s "
            "ORDER BY generated LIMIT 250",
            {"cutoff": perf.START + datetime.timedelta(hours=1)},
        ).mappings()
    assert plan["key"] == "ix_event_generated"
    assert plan["type"] == "range"
    left = list(storage_conn.get_events(models.EventFilter()))
    assert len(left) == len(events) - len(expired)
