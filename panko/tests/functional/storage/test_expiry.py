"""Expiry on every backend: what goes, what stays, while writes go on."""

from __future__ import annotations

import datetime
import threading

from oslo_utils import timeutils

from panko.storage import models
from panko.tests import eventgen

T = models.Trait


def _ago(**delta):
    return timeutils.utcnow() - datetime.timedelta(**delta)


def test_expiry_removes_old_events_types_and_traits(storage_conn):
    old = [
        eventgen.event(
            event_type="old.type",
            generated=_ago(days=10, minutes=i),
            traits=[T("gone", models.TEXT_TYPE, "x")],
        )
        for i in range(7)
    ]
    shared_old = eventgen.event(event_type="kept.type", generated=_ago(days=9))
    young = [
        eventgen.event(event_type="kept.type", generated=_ago(hours=i))
        for i in range(5)
    ]
    storage_conn.record_events(old + [shared_old] + young)

    removed = storage_conn.clear_expired_data(ttl=3 * 86400, max_count=3)

    assert removed == 8
    left = list(storage_conn.get_events(models.EventFilter()))
    assert sorted(eventgen.ids(left)) == sorted(eventgen.ids(young))
    assert list(storage_conn.get_event_types()) == ["kept.type"]
    assert list(storage_conn.get_trait_types("old.type")) == []
    assert storage_conn.clear_expired_data(ttl=3 * 86400) == 0


def test_expiry_disabled_keeps_everything(storage_conn):
    storage_conn.record_events([eventgen.event(generated=_ago(days=400))])
    assert storage_conn.clear_expired_data(ttl=0) == 0
    assert storage_conn.clear_expired_data(ttl=-1) == 0
    assert len(list(storage_conn.get_events(models.EventFilter()))) == 1


def test_expired_type_can_come_back(storage_conn):
    storage_conn.record_events(
        [eventgen.event(event_type="again", generated=_ago(days=5))]
    )
    storage_conn.clear_expired_data(ttl=86400)
    assert list(storage_conn.get_event_types()) == []
    event = eventgen.event(
        event_type="again",
        generated=_ago(minutes=1),
        traits=[T("host", models.TEXT_TYPE, "h")],
    )
    storage_conn.record_events([event])
    [got] = storage_conn.get_events(models.EventFilter(event_type="again"))
    assert got.message_id == event.message_id
    assert models.TraitType("host", models.TEXT_TYPE) in list(
        storage_conn.get_trait_types("again")
    )


def test_expiry_while_events_are_written(storage_conn):
    """Nothing younger than the time to live is removed, old and young
    events keep arriving, and neither side deadlocks or fails."""
    storage_conn.record_events(
        [eventgen.event(generated=_ago(days=3, seconds=i)) for i in range(300)]
    )
    written, errors = [], []

    def write():
        try:
            for i in range(20):
                batch = [
                    eventgen.event(generated=_ago(minutes=i)),
                    eventgen.event(generated=_ago(days=2, minutes=i)),
                ]
                storage_conn.record_events(batch)
                written.extend(batch)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    writers = [threading.Thread(target=write) for _ in range(3)]
    for thread in writers:
        thread.start()
    removed = storage_conn.clear_expired_data(ttl=86400, max_count=50)
    for thread in writers:
        thread.join()
    assert errors == []
    assert removed >= 300
    left = set(eventgen.ids(storage_conn.get_events(models.EventFilter())))
    young = {e.message_id for e in written if e.generated > _ago(hours=23)}
    assert young <= left
    assert len(left) == len(written) + 300 - removed
    # What was written old during the first run goes in the next one.
    storage_conn.clear_expired_data(ttl=86400)
    left = set(eventgen.ids(storage_conn.get_events(models.EventFilter())))
    assert left == young
