"""The expirer of another process running while events are written and
read: no deadlock (not even one retried), nothing younger than the time
to live removed, no 5xx for the readers. On PostgreSQL whole daily
partitions are dropped meanwhile, some while old events still arrive
for them: such a write is retried until it finds its partition."""

from __future__ import annotations

import datetime
import logging
import threading

from oslo_utils import timeutils
import pytest
import sqlalchemy as sa

from panko import storage
from panko.tests import apidata
from panko.tests import eventgen
from panko.tests.functional.faults import conftest as faults

TTL = 86400
WRITERS, BATCHES, BATCH = 2, 12, 10


def _ago(**delta) -> datetime.datetime:
    return timeutils.utcnow() - datetime.timedelta(**delta)


def partition_count(storage_conn) -> int:
    if storage_conn.dialect != "postgresql":
        return 0
    with storage_conn.facade.reader() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_inherits i JOIN pg_class p "
                "ON p.oid = i.inhparent WHERE p.relname = 'event'"
            )
        ).scalar()


@pytest.mark.backends("postgresql", "mysql")
def test_expirer_with_ingest_and_queries(
    backend, conf, storage_conn, make_app, caplog
):
    caplog.set_level(logging.DEBUG, logger="oslo_db.api")
    # Old events over four past days, young ones of the last hours.
    seeded = [
        eventgen.event(
            generated=_ago(days=2 + i % 4, minutes=i),
            project="admin-project",
        )
        for i in range(200)
    ] + [
        eventgen.event(generated=_ago(minutes=i), project="admin-project")
        for i in range(50)
    ]
    storage_conn.record_events(seeded)
    partitions_before = partition_count(storage_conn)
    young = {e.message_id for e in seeded if e.generated > _ago(hours=23)}
    # The expirer is another process: a driver of its own. A late event
    # whose partition the expirer is dropping waits for the drop to end
    # (db_retry_interval): shorter than the default here.
    expirer = storage.get_connection(conf, storage_conn.url)
    conf.set_override("db_retry_interval", 0.2, "database")
    ingest = storage.get_connection(conf, storage_conn.url)
    api = make_app()
    writing_done = threading.Event()
    progress = threading.Condition()
    written = [0]
    # Writers waiting for the expirer's second run.
    paused = [0]
    errors, statuses, removed = [], [], []

    def write(n):
        try:
            for b in range(BATCHES):
                if b == BATCHES // 2:
                    # Halfway, until the expirer has run twice: it then
                    # runs while events are written however fast the
                    # writes are.
                    with progress:
                        paused[0] += 1
                        progress.notify_all()
                        progress.wait_for(lambda: len(removed) >= 2, 30)
                        paused[0] -= 1
                batch = []
                for i in range(BATCH):
                    old = (b + i) % 2
                    event = eventgen.event(
                        generated=(
                            _ago(days=2 + i % 3, minutes=b)
                            if old
                            else _ago(minutes=n * 100 + b)
                        ),
                        project="admin-project",
                    )
                    batch.append(event)
                    if not old:
                        young.add(event.message_id)
                ingest.record_events(batch)
                with progress:
                    written[0] += 1
                    progress.notify_all()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            with progress:
                progress.notify_all()

    def expire():
        # A run of panko-expirer, then another once a few more batches
        # came in (as from cron, only much more often), and a last one.
        try:
            while not writing_done.is_set():
                removed.append(expirer.clear_expired_data(TTL, max_count=40))
                seen = written[0]
                with progress:
                    progress.notify_all()
                    progress.wait_for(
                        lambda seen=seen: (
                            written[0] >= seen + 3
                            or writing_done.is_set()
                            or (paused[0] and len(removed) < 2)
                        ),
                        timeout=30,
                    )
            removed.append(expirer.clear_expired_data(TTL, max_count=40))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def read():
        try:
            while not writing_done.is_set():
                for path in (
                    "/v2/events?limit=50",
                    "/v2/events?q.field=start_timestamp&q.op=ge&q.value="
                    + _ago(days=1).isoformat(),
                    "/v2/event_types",
                    "/v2/events/" + seeded[-1].message_id,
                ):
                    resp = api.get(
                        path, headers=apidata.ADMIN, expect_errors=True
                    )
                    statuses.append((path, resp.status_int))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    writers = [
        threading.Thread(target=write, args=(n,)) for n in range(WRITERS)
    ]
    others = [threading.Thread(target=expire), threading.Thread(target=read)]
    for thread in writers + others:
        thread.start()
    for thread in writers:
        thread.join(60)
    with progress:
        writing_done.set()
        progress.notify_all()
    for thread in others:
        thread.join(60)
    expirer.close()
    ingest.close()

    assert not any(t.is_alive() for t in writers + others), "a deadlock"
    assert errors == []
    assert [s for s in statuses if s[1] >= 500] == []
    assert {s for _, s in statuses} == {200}
    # No deadlock, not even one retried away.
    assert "eadlock" not in caplog.text
    assert sum(removed) >= 200
    assert len(removed) >= 3
    # Everything younger than the time to live is there, once; every
    # older event is gone.
    faults.assert_exactly_once(storage_conn, young)
    if backend == "postgresql":
        assert partition_count(storage_conn) < partitions_before
    faults.report(
        "expiry(%d-runs,%d-writes-retried)"
        % (len(removed), caplog.text.count("Performing DB retry")),
        backend,
        None,
        len(seeded) + WRITERS * BATCHES * BATCH,
        storage_conn,
    )
