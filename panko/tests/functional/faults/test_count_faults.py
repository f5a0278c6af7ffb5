"""Folding events into the counts kept ahead of time while the database
connection is cut: the tables never count an event twice or miss one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panko import storage
from panko.storage import models
from panko.storage.sqlalchemy import tables
from panko.tests import eventgen

pytestmark = pytest.mark.backends("postgresql", "mysql")

# Where the fold's transaction is cut: (pattern, how).
FOLD_FAULTS = {
    "mid_rows": (b"INSERT INTO count_by_project_day", "drop"),
    "before_state": (b"UPDATE count_state", "drop"),
    "before_commit": (b"COMMIT", "drop"),
    "commit_answer_lost": (b"COMMIT", "lose_answer"),
}


def _sums(storage_conn) -> tuple[int, int]:
    with storage_conn.facade.reader() as conn:
        return tuple(
            conn.execute(sa.select(sa.func.sum(table.c.events))).scalar() or 0
            for table in (
                tables.count_by_type_hour,
                tables.count_by_project_day,
            )
        )


@pytest.mark.parametrize("fault", sorted(FOLD_FAULTS))
def test_a_fold_cut_counts_each_event_once(
    fault, storage_conn, db_proxy, proxied_url, conf
):
    proxied = storage.get_connection(conf, proxied_url)
    try:
        # Nothing to fold yet: the connection is made (MySQL's set-up
        # sends "SET AUTOCOMMIT", which the COMMIT pattern would match).
        assert proxied.fold_counts() == 0
        storage_conn.record_events(
            [
                eventgen.event(project="p%d" % (i % 3), minutes=i * 17)
                for i in range(60)
            ]
        )
        pattern, how = FOLD_FAULTS[fault]
        trap = db_proxy.cut_on(pattern, lose_answer=how == "lose_answer")
        # The write retries make the fold again on a new connection.
        folded = proxied.fold_counts()
        assert trap.wait(), "the fault was never reached"
    finally:
        proxied.close()
    # Unless the first attempt's COMMIT went through (its answer lost),
    # the retry folded them all.
    assert trap.answered == (how == "lose_answer")
    assert folded == (0 if trap.answered else 60)
    assert storage_conn._count_state().folded == 60
    assert _sums(storage_conn) == (60, 60)
    counted = storage_conn.count_events(
        models.EventFilter(), models.Grouping(("project_id",))
    )
    assert [(g.values, g.count) for g in counted] == [
        (("p0",), 20),
        (("p1",), 20),
        (("p2",), 20),
    ]
