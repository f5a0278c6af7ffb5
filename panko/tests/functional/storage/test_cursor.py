"""Reading in position order, as a poller does, on every backend."""

from __future__ import annotations

import datetime
import threading

import bson
import pytest

from panko import storage
from panko.storage import models
from panko.tests import eventgen

F = models.EventFilter


def listed(conn, event_filter, **pagination):
    return list(conn.get_events(event_filter, models.Pagination(**pagination)))


def _store_out_of_time_order(conn):
    """Batches whose generated times run backwards: position order is
    then not time order."""
    batches = [
        [eventgen.event(minutes=100 - 10 * b - i) for i in range(3)]
        for b in range(4)
    ]
    for batch in batches:
        conn.record_events(batch)
    return [e.message_id for batch in batches for e in batch]


def test_after_position_is_in_position_order_by_default(storage_conn):
    stored = _store_out_of_time_order(storage_conn)
    every = listed(storage_conn, F(after_position=0))
    assert [e.message_id for e in every] == stored
    positions = [e.position for e in every]
    assert positions == sorted(positions)
    later = listed(storage_conn, F(after_position=positions[4]))
    assert [e.message_id for e in later] == stored[5:]
    assert listed(storage_conn, F(after_position=positions[-1])) == []


def test_position_sort_both_ways_and_other_sorts_kept(storage_conn):
    stored = _store_out_of_time_order(storage_conn)
    desc = listed(storage_conn, F(), sort=(("position", "desc"),))
    assert [e.message_id for e in desc] == stored[::-1]
    by_time = listed(
        storage_conn, F(after_position=0), sort=(("generated", "asc"),)
    )
    times = [e.generated for e in by_time]
    assert times == sorted(times) and len(times) == len(stored)


def test_marker_pages_combine_with_the_cursor(storage_conn):
    stored = _store_out_of_time_order(storage_conn)
    first = listed(storage_conn, F(after_position=0))[1].position
    pages, marker = [], None
    while True:
        page = listed(
            storage_conn, F(after_position=first), limit=3, marker=marker
        )
        if not page:
            break
        pages.extend(e.message_id for e in page)
        marker = page[-1].message_id
    assert pages == stored[2:]


def test_cursor_keeps_the_project_scope(storage_conn):
    mine = [eventgen.event(project="p1") for _ in range(3)]
    theirs = [eventgen.event(project="p2") for _ in range(3)]
    orphan = eventgen.event(project=None, user=None)
    storage_conn.record_events(mine[:2] + theirs[:2])
    storage_conn.record_events([orphan, mine[2], theirs[2]])
    got = listed(
        storage_conn, F(after_position=0, project="p1", user="user-a")
    )
    assert [e.message_id for e in got] == [e.message_id for e in mine]
    admin = listed(storage_conn, F(after_position=0, admin_project="p2"))
    assert [e.message_id for e in admin] == [
        theirs[0].message_id,
        theirs[1].message_id,
        orphan.message_id,
        theirs[2].message_id,
    ]


def _second_process(conf, storage_conn):
    """Another driver on the same database, as another process has: its
    own connections and, on MongoDB, its own writer lock (which is per
    URL), so that its batches race this one's."""
    url = storage_conn.url
    if url.startswith("mongodb"):
        url += ("&" if "?" in url else "?") + "connectTimeoutMS=20001"
    return storage.get_connection(conf, url)


def test_poller_never_misses_nor_repeats_beside_writers(conf, storage_conn):
    """Writers in two "processes" store batches from several threads
    while a poller reads "after the last position I got" in small pages:
    at the end it has every event exactly once, in increasing
    positions."""
    writers, batches, size = 4, 15, 7
    errors = []
    other = _second_process(conf, storage_conn)

    def write(connection):
        try:
            for _ in range(batches):
                batch = [eventgen.event() for _ in range(size)]
                connection.record_events(batch)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [
        threading.Thread(target=write, args=(conn,))
        for conn in [storage_conn, other] * (writers // 2)
    ]
    for thread in threads:
        thread.start()
    seen, last = [], 0

    def poll():
        nonlocal last
        page = listed(storage_conn, F(after_position=last), limit=5)
        for event in page:
            assert event.position > last
            last = event.position
            seen.append(event.message_id)
        return page

    try:
        while any(t.is_alive() for t in threads):
            poll()
        for thread in threads:
            thread.join()
        while poll():
            pass
    finally:
        other.close()
    assert errors == []
    expected = {
        e.message_id for e in storage_conn.get_events(F(after_position=0))
    }
    assert len(expected) == writers * batches * size
    assert len(seen) == len(set(seen))
    assert set(seen) == expected


@pytest.mark.backends("mongodb")
def test_mongodb_holds_back_positions_above_a_range_in_flight(storage_conn):
    """Another process reserved positions and has not inserted them yet
    while a later batch is already in: a reader in position order stops
    below that range until it is released, and ignores a range left by a
    writer that died long ago."""
    from panko.storage.mongodb import driver

    storage_conn.record_events([eventgen.event() for _ in range(2)])
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    long_ago = now - datetime.timedelta(seconds=driver.RESERVATION_TIMEOUT + 5)
    meta = storage_conn.meta
    meta.update_one(
        {"_id": "position"},
        {
            "$inc": {"last": 3},
            "$push": {
                "inflight": {
                    "$each": [
                        {"first": bson.Int64(1), "at": long_ago},
                        {"first": bson.Int64(3), "at": now},
                    ]
                }
            },
        },
    )
    later = eventgen.event()
    storage_conn.record_events([later])
    assert storage_conn.horizon() == 3
    assert [e.position for e in listed(storage_conn, F(after_position=0))] == [
        1,
        2,
    ]
    assert (
        listed(storage_conn, F(), sort=(("position", "asc"),))[-1].position
        == 2
    )
    # Listings in other orders are not held back.
    assert len(listed(storage_conn, F())) == 3
    meta.update_one({"_id": "position"}, {"$pull": {"inflight": {"first": 3}}})
    assert storage_conn.horizon() == 7
    got = listed(storage_conn, F(after_position=2))
    assert [e.message_id for e in got] == [later.message_id]
    # The next batch removed the range abandoned long ago.
    storage_conn.record_events([eventgen.event()])
    assert meta.find_one({"_id": "position"})["inflight"] == []
