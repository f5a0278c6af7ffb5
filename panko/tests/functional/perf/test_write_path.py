"""The write path sends a few statements per batch, never one per event
or per trait, and stores raw notifications compressed."""

from __future__ import annotations

import math

import pytest

from panko import jsonutils
from panko.storage.sqlalchemy import writer
from panko.tests.functional.perf import conftest as perf

N = 10000
BATCH = 100


@pytest.mark.backends("postgresql", "mysql")
def test_ingest_sends_a_few_statements_per_batch(
    storage_conn, statements, backend
):
    events = perf.notification_events(N)
    perf.store(storage_conn, events, batch=BATCH)

    batches = N // BATCH
    inserts = statements.of(
        "COPY event" if backend == "postgresql" else "INSERT INTO event "
    )
    # One COPY on PostgreSQL; on MySQL INSERTs of MYSQL_STATEMENT_ROWS
    # rows, each encoded while the one before runs.
    inserts_per_batch = (
        1
        if backend == "postgresql"
        else math.ceil(BATCH / writer.MYSQL_STATEMENT_ROWS)
    )
    assert len(inserts) == batches * inserts_per_batch
    # Checkout ping, lock and look-ups (one statement on PostgreSQL, two
    # on MySQL), the inserts; a few more for the partitions made and for
    # the first trait types.
    per_batch = (2 if backend == "postgresql" else 3) + inserts_per_batch
    assert len(statements.statements) < (per_batch + 1) * batches
    assert len(statements.statements) < N / 10
    assert statements.commits < 1.5 * batches
    with storage_conn.facade.reader() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM event").scalar()
    assert count == N


@pytest.mark.backends("postgresql", "mysql")
def test_redelivered_batch_writes_nothing(storage_conn, statements, backend):
    events = perf.notification_events(500)
    perf.store(storage_conn, events, batch=500)
    before = len(statements.statements)
    result = storage_conn.record_events(events)
    assert len(result.duplicates) == 500
    # The position lock and the look-up of the message_ids (one round
    # trip on PostgreSQL), no insert; besides oslo.db's "SELECT 1" when
    # the connection is checked out.
    new = [s for s in statements.statements[before:] if s != "SELECT 1"]
    assert len(new) == (1 if backend == "postgresql" else 2), new


@pytest.mark.backends("sqlite", "postgresql", "mysql")
def test_raw_notifications_are_stored_compressed(storage_conn):
    events = perf.notification_events(300)
    perf.store(storage_conn, events)
    json_bytes = sum(len(jsonutils.dumps_bytes(e.raw)) for e in events)
    length = "octet_length" if storage_conn.dialect != "sqlite" else "length"
    with storage_conn.facade.reader() as conn:
        stored = conn.exec_driver_sql(
            "SELECT sum(%s(raw)) FROM event" % length
        ).scalar()
    assert stored < 0.6 * json_bytes


@pytest.mark.backends("postgresql")
def test_postgresql_duplicate_look_up_probes_the_index(storage_conn):
    """Partitions written to for the first time have no statistics yet;
    the look-up of a batch's message_ids must still probe the index
    rather than read the partitions whole (which made each batch slower
    as the table grew)."""
    events = perf.notification_events(3000)
    perf.store(storage_conn, events, batch=500)
    lookup = writer._PG_CLAIM.split(";", 1)[1]
    with storage_conn.facade.reader() as conn:
        plan = "\n".join(
            row[0]
            for row in conn.exec_driver_sql(
                "EXPLAIN " + lookup,
                {
                    "message_ids": [e.message_id for e in events[:100]],
                    "types": perf.EVENT_TYPES,
                },
            )
        )
    assert "Seq Scan on event_p" not in plan, plan
    assert "message_id_idx" in plan, plan
