"""Many writers at once: no lost event, no deadlock, no "database is
locked", positions unique and in commit order."""

from __future__ import annotations

import threading

from panko.storage import models
from panko.tests import eventgen


def test_concurrent_writers(storage_conn):
    per_thread, threads = 20, 16
    errors, batches = [], [[] for _ in range(threads)]

    def write(mine):
        try:
            for _ in range(per_thread):
                event = eventgen.event(event_type="type.%d" % (len(mine) % 3))
                storage_conn.record_events([event, eventgen.event()])
                mine.extend([event.message_id])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    workers = [
        threading.Thread(target=write, args=(batches[i],))
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    stored = list(storage_conn.get_events(models.EventFilter()))
    assert len(stored) == threads * per_thread * 2
    positions = [e.position for e in stored]
    assert len(set(positions)) == len(positions)
    by_id = {e.message_id: e.position for e in stored}
    for mine in batches:
        # One thread's calls commit one after the other.
        assert [by_id[m] for m in mine] == sorted(by_id[m] for m in mine)
    assert sorted(storage_conn.get_event_types()) == [
        "compute.start",
        "type.0",
        "type.1",
        "type.2",
    ]


def test_concurrent_duplicates_are_stored_once(storage_conn):
    events = [eventgen.event() for _ in range(50)]
    errors = []

    def write():
        try:
            storage_conn.record_events(list(events))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    workers = [threading.Thread(target=write) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    stored = eventgen.ids(storage_conn.get_events(models.EventFilter()))
    assert sorted(stored) == sorted(eventgen.ids(events))
