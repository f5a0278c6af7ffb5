"""Time partitions of the PostgreSQL ``event`` table.

Events are partitioned by ``generated``, one partition per
``[database] partition_interval`` (a day by default), so that expiry
detaches and drops whole partitions, which returns their disk space at
once, instead of deleting rows one by one.

Partitions are made on demand, before a batch whose events fall outside
every existing partition is written. A new partition is created apart and
then attached, which only takes a SHARE UPDATE EXCLUSIVE lock on ``event``:
reads and writes go on meanwhile. Attaching builds the partition's copy of
each index of ``event`` (empty, so at once).

Each partition also gets extended statistics on ``(project_id,
user_id)``: a user belongs to one project, and without them the planner
multiplies the two selectivities, estimates a member's events far too
few, and sorts them all instead of reading ``ix_event_project_generated``
in order. The planner only uses a partition's own statistics objects
when it plans a scan of that partition (those of ``event`` itself serve
queries on the whole of it, not the partition scans under them), so they
are made for each partition, and go with it when it is dropped.
"""

from __future__ import annotations

import bisect
import datetime
import threading

from oslo_db import exception as db_exc
from oslo_log import log
import sqlalchemy as sa

from panko.storage.sqlalchemy import facade

LOG = log.getLogger(__name__)

PREFIX = "event_p"
INTERVALS = ("day", "week", "month")


def interval_start(
    moment: datetime.datetime, interval: str
) -> datetime.datetime:
    """The start of the interval that holds ``moment``."""
    day = datetime.datetime(moment.year, moment.month, moment.day)
    if interval == "day":
        return day
    if interval == "week":
        return day - datetime.timedelta(days=day.weekday())
    return day.replace(day=1)


# The end of the partition holding the last interval of year 9999, past
# which Python has no datetime: that partition is bounded by MAXVALUE.
UNBOUNDED = datetime.datetime.max


def interval_end(start: datetime.datetime, interval: str) -> datetime.datetime:
    try:
        if interval == "day":
            return start + datetime.timedelta(days=1)
        if interval == "week":
            return start + datetime.timedelta(days=7)
        if start.month == 12:
            return start.replace(year=start.year + 1, month=1)
        return start.replace(month=start.month + 1)
    except (OverflowError, ValueError):
        return UNBOUNDED


def is_missing(error: Exception) -> bool:
    """True when a write failed for want of a partition for its row."""
    return "no partition of relation" in str(error)


def partition_name(start: datetime.datetime) -> str:
    return "%s%04d%02d%02d" % (PREFIX, start.year, start.month, start.day)


def statistics_name(partition: str) -> str:
    """The extended statistics object of ``partition``."""
    return "%s_project_user" % partition


def create_statistics(conn: sa.engine.Connection, partition: str) -> None:
    """Give ``partition`` its statistics on (project_id, user_id) when it
    has none yet; ANALYZE (or autovacuum's) fills them in.

    ``dependencies`` is what the member listing needs (user_id implies
    project_id), and its size does not grow with the number of users,
    unlike an ``mcv`` list, which would only hold the 100 commonest pairs.
    """
    conn.exec_driver_sql(
        "CREATE STATISTICS IF NOT EXISTS %s (dependencies) "
        "ON project_id, user_id FROM %s"
        % (statistics_name(partition), partition)
    )


class Partition:
    __slots__ = ("name", "start", "end")

    def __init__(self, name, start, end):
        self.name, self.start, self.end = name, start, end

    def __repr__(self):
        return "<Partition %s [%s, %s)>" % (self.name, self.start, self.end)


_LIST_PARTITIONS = sa.text("""
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), i.inhdetachpending
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_class p ON p.oid = i.inhparent
JOIN pg_namespace n ON n.oid = p.relnamespace
WHERE p.relname = 'event' AND n.nspname = current_schema()
""")


def list_partitions(
    conn: sa.engine.Connection,
) -> tuple[list[Partition], list[str]]:
    """Attached partitions sorted by start, and those left half-detached
    by an interrupted expirer."""
    attached, pending = [], []
    for name, bound, detach_pending in conn.execute(_LIST_PARTITIONS):
        if detach_pending:
            pending.append(name)
            continue
        start, end = _parse_bound(bound)
        attached.append(Partition(name, start, end))
    attached.sort(key=lambda p: p.start)
    return attached, pending


def _parse_bound(bound: str) -> tuple[datetime.datetime, datetime.datetime]:
    # FOR VALUES FROM ('2026-01-01 00:00:00') TO ('2026-01-02 00:00:00'),
    # or TO (MAXVALUE) for the last one of year 9999.
    lower, _, upper = bound.partition(" TO ")
    start = _parse_ts(lower.split("'")[1])
    if "MAXVALUE" in upper:
        return start, UNBOUNDED
    return start, _parse_ts(upper.split("'")[1])


def _parse_ts(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


class PartitionSet:
    """The partitions this process knows of, made when missing."""

    def __init__(self, interval: str):
        self.interval = interval
        self._starts: list[datetime.datetime] = []
        self._partitions: list[Partition] = []
        self._lock = threading.Lock()
        self._loaded = False

    def _covering(self, moment: datetime.datetime) -> Partition | None:
        index = bisect.bisect_right(self._starts, moment) - 1
        if index < 0:
            return None
        end = self._partitions[index].end
        if moment < end or end == UNBOUNDED:
            return self._partitions[index]
        return None

    def _reload(self, conn: sa.engine.Connection) -> None:
        self._partitions = list_partitions(conn)[0]
        self._starts = [p.start for p in self._partitions]
        self._loaded = True

    def forget(self) -> None:
        """Read the catalog again next time (after expiry dropped some)."""
        with self._lock:
            self._loaded = False

    def ensure(
        self, engine: sa.engine.Engine, moments: set[datetime.datetime]
    ) -> None:
        """Make sure a partition holds each of ``moments``, creating each
        missing one in a transaction of its own."""
        with self._lock:
            if self._loaded and all(self._covering(m) for m in moments):
                return
            with engine.connect() as conn:
                self._reload(conn)
                conn.rollback()
                for start in self._missing(moments):
                    if self._covering(start) is None:
                        try:
                            with conn.begin():
                                self._create(conn, start)
                        except (sa.exc.DBAPIError, db_exc.DBError) as e:
                            if facade.is_unavailable(e):
                                # Not knowing whether it was made, the
                                # write must not go on as if it was.
                                raise
                            # Another process made it first.
                            LOG.debug(
                                "Partition for %s not created: %s", start, e
                            )
                        self._reload(conn)
                        conn.rollback()

    def ensure_on(
        self, conn: sa.engine.Connection, moments: set[datetime.datetime]
    ) -> None:
        """Like ensure(), inside the caller's transaction (migrations)."""
        with self._lock:
            self._reload(conn)
            for start in self._missing(moments):
                if self._covering(start) is None:
                    self._create(conn, start)
                    self._reload(conn)

    def _missing(self, moments) -> list[datetime.datetime]:
        return sorted(
            {
                interval_start(m, self.interval)
                for m in moments
                if self._covering(m) is None
            }
        )

    def _create(
        self, conn: sa.engine.Connection, start: datetime.datetime
    ) -> None:
        end = interval_end(start, self.interval)
        # Never overlap a partition made with another interval.
        index = bisect.bisect_right(self._starts, start)
        if index < len(self._partitions):
            end = min(end, self._partitions[index].start)
        if index > 0:
            start = max(start, self._partitions[index - 1].end)
        create_partition(conn, start, end)


def create_partition(
    conn: sa.engine.Connection,
    start: datetime.datetime,
    end: datetime.datetime,
) -> str:
    """Create and attach the partition ``[start, end)`` in the current
    transaction; return its name."""
    name = partition_name(start)
    LOG.info(
        "Creating partition %s for events from %s to %s", name, start, end
    )
    conn.exec_driver_sql(
        "CREATE TABLE %s (LIKE event INCLUDING DEFAULTS INCLUDING STORAGE "
        "INCLUDING COMPRESSION) WITH (toast_tuple_target = 128)" % name
    )
    create_statistics(conn, name)
    upper = "MAXVALUE" if end == UNBOUNDED else "'%s'" % end.isoformat()
    conn.exec_driver_sql(
        "ALTER TABLE event ATTACH PARTITION %s FOR VALUES FROM ('%s') "
        "TO (%s)" % (name, start.isoformat(), upper)
    )
    return name


def drop_before(conn: sa.engine.Connection, before: datetime.datetime) -> int:
    """Detach and drop every partition whose events are all older than
    ``before``; return how many events they held.

    ``conn`` must be in autocommit mode: DETACH ... CONCURRENTLY waits for
    the queries using a partition instead of locking them out, and cannot
    run inside a transaction. A detach an earlier run could not finish is
    finished first.
    """
    attached, pending = list_partitions(conn)
    for name in pending:
        conn.exec_driver_sql(
            "ALTER TABLE event DETACH PARTITION %s FINALIZE" % name
        )
    doomed = pending + [p.name for p in attached if p.end <= before]
    removed = 0
    for name in doomed:
        if name not in pending:
            conn.exec_driver_sql(
                "ALTER TABLE event DETACH PARTITION %s CONCURRENTLY" % name
            )
        # Detached, it takes no more writes: the count is exact. The name
        # comes from the catalog and is one panko made (event_pYYYYMMDD).
        removed += conn.exec_driver_sql(
            "SELECT count(*) FROM %s" % name  # noqa: S608
        ).scalar()
        # Its indexes and statistics objects go with it.
        conn.exec_driver_sql("DROP TABLE %s" % name)
        LOG.info("Dropped partition %s", name)
    return removed
