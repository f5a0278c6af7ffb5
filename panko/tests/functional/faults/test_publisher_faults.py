"""The publisher as Ceilometer loads it, while the database fails.

Ceilometer with ``ack_on_event_error = False`` requeues a notification
whose publish_events() raised, and hands the same events over again
later: these tests do what the requeue does and count the rows.
"""

from __future__ import annotations

import datetime

import pytest

from panko.storage import exceptions
from panko.tests import apidata
from panko.tests.functional.faults import conftest as faults
from panko.tests.functional.publisher import test_publisher


def ceilometer_events(start: int, count: int, generated=None):
    events = []
    for i in range(start, start + count):
        event = test_publisher.CeilometerEvent(
            "pub-%d" % i,
            [("project_id", 1, "project-%d" % (i % 3)), ("n", 2, i)],
            raw={"payload": {"i": i}},
        )
        if generated is not None:
            event.generated = generated
        events.append(event)
    return events


@pytest.fixture
def make_publisher(proxied_url, tmp_path):
    def make():
        path = apidata.write_config(
            tmp_path / "panko.conf",
            proxied_url,
            database={"db_max_retries": 0, "db_retry_interval": 0},
        )
        return test_publisher.load("panko://?config_file=%s" % path)

    publishers = []
    yield lambda: publishers.append(make()) or publishers[-1]
    for publisher in publishers:
        publisher.connection.close()


@pytest.mark.backends("postgresql", "mysql")
@pytest.mark.parametrize("fault", faults.WRITE_FAULTS)
def test_publish_raises_then_requeued_batch_is_stored_once(
    backend, fault, storage_conn, db_proxy, make_publisher
):
    publisher = make_publisher()
    before = ceilometer_events(0, 20)
    publisher.publish_events(before)
    batch = ceilometer_events(20, 20)
    ids = [e.message_id for e in before + batch]

    trap = faults.inject(db_proxy, backend, fault)
    with pytest.raises(exceptions.StorageUnavailable):
        publisher.publish_events(batch)
    if trap is None:
        # Still down: every attempt raises, so Ceilometer keeps the
        # notification.
        with pytest.raises(exceptions.StorageUnavailable):
            publisher.publish_events(batch)
        db_proxy.resume()
    else:
        assert trap.wait(), "the fault was never reached"
    counts = faults.stored_counts(storage_conn)
    in_batch = {e.message_id for e in batch} & set(counts)
    if fault in faults.MAY_BE_COMMITTED:
        # The hard case: committed, though the publisher was told the
        # connection failed.
        assert trap.answered
        assert len(in_batch) == len(batch)
    else:
        assert in_batch == set()

    # Ceilometer delivers the notification again, then goes on.
    publisher.publish_events(batch)
    after = ceilometer_events(40, 5)
    publisher.publish_events(after)
    ids += [e.message_id for e in after]
    faults.assert_exactly_once(storage_conn, ids)
    faults.report("publisher-" + fault, backend, db_proxy, 45, storage_conn)


@pytest.mark.backends("postgresql")
@pytest.mark.parametrize("pattern", [b"ATTACH PARTITION", b"COMMIT"])
def test_publish_into_a_new_partition_while_cut(
    backend, pattern, storage_conn, db_proxy, make_publisher
):
    """The partition for a new day is made in its own transaction: a cut
    while it is attached, or as it commits, fails the publish (the
    partition may or may not exist) and leaves nothing that blocks the
    retry."""
    publisher = make_publisher()
    publisher.publish_events(ceilometer_events(0, 2))
    new_day = datetime.datetime(2031, 7, 1, 12, 0, 0)
    batch = ceilometer_events(2, 10, generated=new_day)
    trap = db_proxy.cut_on(pattern, lose_answer=True)
    with pytest.raises(exceptions.StorageUnavailable):
        publisher.publish_events(batch)
    assert trap.wait()
    publisher.publish_events(batch)
    faults.assert_exactly_once(
        storage_conn, ["pub-0", "pub-1"] + [e.message_id for e in batch]
    )
