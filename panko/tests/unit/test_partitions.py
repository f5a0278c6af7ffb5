"""The arithmetic of PostgreSQL's time partitions."""

from __future__ import annotations

import datetime

import pytest

from panko.storage.sqlalchemy import partitions

LAST_DAY = datetime.datetime(9999, 12, 31)


@pytest.mark.parametrize("interval", partitions.INTERVALS)
def test_the_last_interval_of_year_9999_is_unbounded(interval):
    start = partitions.interval_start(datetime.datetime.max, interval)
    assert partitions.interval_end(start, interval) == partitions.UNBOUNDED


def test_bounds_read_back():
    assert partitions._parse_bound(
        "FOR VALUES FROM ('2026-01-01 00:00:00') TO ('2026-01-02 00:00:00')"
    ) == (datetime.datetime(2026, 1, 1), datetime.datetime(2026, 1, 2))
    assert partitions._parse_bound(
        "FOR VALUES FROM ('9999-12-31 00:00:00') TO (MAXVALUE)"
    ) == (LAST_DAY, partitions.UNBOUNDED)


def test_the_unbounded_partition_covers_the_last_moment():
    known = partitions.PartitionSet("day")
    known._partitions = [
        partitions.Partition("event_p99991231", LAST_DAY, partitions.UNBOUNDED)
    ]
    known._starts = [LAST_DAY]
    assert known._covering(datetime.datetime.max) is known._partitions[0]
    assert known._covering(LAST_DAY - datetime.timedelta(seconds=1)) is None
