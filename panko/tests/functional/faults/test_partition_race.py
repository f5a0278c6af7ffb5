"""A write whose partition is dropped each time it is made (PostgreSQL):
retried at once a few times, then unavailable, never an internal
error."""

from __future__ import annotations

import datetime

import pytest

from panko import storage
from panko.storage import exceptions
from panko.storage.sqlalchemy import driver
from panko.tests import eventgen
from panko.tests.functional.faults import conftest as faults


@pytest.mark.backends("postgresql")
def test_partition_dropped_every_time_is_unavailable(
    backend, conf, storage_conn, monkeypatch
):
    conf.set_override("db_retry_interval", 0, "database")
    writer = storage.get_connection(conf, storage_conn.url, write_retries=0)
    event = eventgen.event(generated=datetime.datetime(2032, 2, 2, 12))
    attempts = []
    real_ensure = writer._partitions.ensure

    def ensure_then_lose_it(engine, moments):
        # As if the expirer dropped it right after it was made.
        attempts.append(moments)

    monkeypatch.setattr(writer._partitions, "ensure", ensure_then_lose_it)
    with pytest.raises(exceptions.StorageUnavailable) as caught:
        writer.record_events([event])
    assert isinstance(caught.value, driver.PartitionsDropped)
    assert len(attempts) == driver.PARTITION_ATTEMPTS
    assert faults.stored_counts(storage_conn) == {}

    monkeypatch.setattr(writer._partitions, "ensure", real_ensure)
    assert writer.record_events([event]).stored == [event.message_id]
    writer.close()
    faults.assert_exactly_once(storage_conn, [event.message_id])
