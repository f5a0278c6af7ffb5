"""Counts kept ahead of time, so that counting a million events does not
read a million index entries.

Two tables hold how many events there are per hour and event type
(``count_by_type_hour``) and per day and project (``count_by_project_day``,
a project_id being NULL for events without one), among the events whose
position is at most ``count_state.folded`` and that were generated at
``count_state.since`` or later. A count the hours (or days) of one of them
can answer adds up its rows for the whole hours (days) the filter covers,
and counts the other matching events from the event table: those stored
after ``folded`` (few, see below), those generated before ``since`` (late
events older than what the expirer removed) and those in the part-hours at
the ends of a time window. Those are index ranges too. The answer is exact
as of one moment, like a count made from the event table alone.

Writers never touch these tables, so storing events costs nothing more:

* Folding adds the events of positions after ``folded`` to the tables and
  moves ``folded`` on, in one transaction, under a lock on the
  ``count_state`` row. Positions are handed out in commit order under the
  ``event_position`` lock (``writer.py``), so every event up to the last
  committed position is there to be counted, and none with a smaller
  position can come later. A count folds first when more than
  ``FOLD_AFTER`` events wait (at most ``FOLD_CHUNK``, and not if another
  process is folding: it then counts them from the event table);
  ``panko-dbsync`` folds everything (after an upgrade, the events
  stored before it). The expirer does not: its run would grow by the
  events stored since the last count.
* The expirer moves ``since`` to the first midnight at or after the time
  it removes events before, and deletes the rows for the time before, in
  one transaction under the same lock, before it removes any event. The
  events it then removes are counted from the event table until they are
  gone; a late event that old is never folded.

A count reads the state, then counts with it in one statement, then reads
the state again: a fold or an expiry committed in between shows, and the
count is made again.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any
from typing import NamedTuple

import sqlalchemy as sa

from panko.storage import models
from panko.storage.sqlalchemy import counts
from panko.storage.sqlalchemy import query
from panko.storage.sqlalchemy import tables

E = tables.event
BY_TYPE = tables.count_by_type_hour
BY_PROJECT = tables.count_by_project_day
STATE = tables.count_state

# Before any event a database can hold on every backend: the ``since``
# of a store nothing was expired from.
EARLIEST = datetime.datetime(1000, 1, 1)
# A count folds first when more events than this wait to be folded.
FOLD_AFTER = 10_000
# Positions folded in one transaction at most.
FOLD_CHUNK = 200_000
# Rows read or deleted by one statement: bound parameters stay well under
# SQLite's 32766.
ROWS_PER_STATEMENT = 500


class State(NamedTuple):
    """Where the tables of counts stand, and the last stored position."""

    folded: int
    since: datetime.datetime
    last: int

    @property
    def mark(self) -> tuple[int, datetime.datetime]:
        """What changes when the tables do."""
        return self.folded, self.since

    @property
    def waiting(self) -> int:
        """How many positions wait to be folded."""
        return max(0, self.last - self.folded)


def state_statement() -> sa.Select:
    position = (
        sa.select(tables.event_position.c.last)
        .where(tables.event_position.c.id == tables.POSITION_ROW)
        .scalar_subquery()
    )
    return sa.select(STATE.c.folded, STATE.c.since, position).where(
        STATE.c.id == tables.COUNT_STATE_ROW
    )


def decode_state(row) -> State:
    return State(*row)


@dataclasses.dataclass(frozen=True)
class Tally:
    """One of the two tables, and how its columns stand for the event's."""

    table: sa.Table
    bucket: str
    # The group key kept beside the bucket.
    key: str
    columns: dict[str, Any]

    @property
    def length(self) -> datetime.timedelta:
        return datetime.timedelta(seconds=models.BUCKETS[self.bucket])

    @property
    def start(self):
        return self.columns["generated"]


TYPE_HOURS = Tally(
    BY_TYPE,
    "hour",
    "event_type",
    {
        "event_type": BY_TYPE.c.event_type_id,
        "generated": BY_TYPE.c.hour,
    },
)
PROJECT_DAYS = Tally(
    BY_PROJECT,
    "day",
    "project_id",
    {
        "project_id": BY_PROJECT.c.project_id,
        "generated": BY_PROJECT.c.day,
    },
)


def _project_traits(event_filter: models.EventFilter) -> list[str] | None:
    """The values the filter's trait conditions require of project_id,
    or None when it has a condition the tables cannot answer."""
    values = []
    for tf in event_filter.traits:
        if not (
            query.in_column(tf)
            and tf.name == models.PROJECT_TRAIT
            and tf.op == "eq"
        ):
            return None
        values.append(tf.value)
    return values


def choose(
    event_filter: models.EventFilter, grouping: models.Grouping
) -> Tally | None:
    """The table that can answer this count, if one can."""
    if (
        event_filter.message_id is not None
        or event_filter.after_position is not None
        or event_filter.user is not None
    ):
        return None
    projects = _project_traits(event_filter)
    if projects is None:
        return None
    keys = set(grouping.keys)
    scoped = (
        projects
        or event_filter.project is not None
        or event_filter.admin_project is not None
    )
    if not scoped and keys <= {"event_type", "generated"}:
        return TYPE_HOURS
    if (
        event_filter.event_type is None
        and keys <= {"project_id", "generated"}
        and grouping.bucket in (None, "day")
    ):
        return PROJECT_DAYS
    return None


def _ceil(moment: datetime.datetime, tally: Tally) -> datetime.datetime:
    start = _floor(moment, tally)
    return start if start == moment else start + tally.length


def _floor(moment: datetime.datetime, tally: Tally) -> datetime.datetime:
    start = moment.replace(minute=0, second=0, microsecond=0)
    if tally.bucket == "day":
        start = start.replace(hour=0)
    return start


def covered(
    tally: Tally, event_filter: models.EventFilter, state: State
) -> tuple[datetime.datetime, datetime.datetime | None] | None:
    """The whole buckets ``[low, high)`` (``high`` None: no end) of the
    table the count reads; None when there is none."""
    low = state.since
    if event_filter.start_timestamp is not None:
        try:
            low = max(low, _ceil(event_filter.start_timestamp, tally))
        except OverflowError:
            # In the last bucket Python's datetime has: none after it.
            return None
    high = None
    if event_filter.end_timestamp is not None:
        # Events at the end are counted: a bucket ending at it is not
        # whole, one ending a microsecond after it is. The last moment
        # Python has leaves no time after it: no end then.
        end = event_filter.end_timestamp
        if end < datetime.datetime.max:
            end += datetime.timedelta(microseconds=1)
            high = _floor(end, tally)
            if high <= low:
                return None
    return low, high


def _tally_conditions(
    tally: Tally, event_filter: models.EventFilter
) -> list[Any]:
    where = []
    if event_filter.event_type is not None:
        where.append(
            tally.columns["event_type"]
            == query.event_type_id(event_filter.event_type)
        )
    project = tally.columns.get("project_id")
    for value in _project_traits(event_filter) or ():
        where.append(project == value)
    if event_filter.project is not None:
        where.append(project == event_filter.project)
    if event_filter.admin_project is not None:
        where.append(
            sa.or_(project == event_filter.admin_project, project.is_(None))
        )
    return where


def parts(
    tally: Tally,
    event_filter: models.EventFilter,
    grouping: models.Grouping,
    state: State,
    dialect: str,
) -> list[sa.Select] | None:
    """The parts of the count (``counts.statement``) with the table's
    rows in it, or None when it covers no whole bucket of the filter."""
    bounds = covered(tally, event_filter, state)
    if bounds is None:
        return None
    low, high = bounds
    start = tally.start
    where = [start >= low, *_tally_conditions(tally, event_filter)]
    if high is not None:
        where.append(start < high)
    columns = counts.key_columns(tally.columns, grouping, dialect)
    # Added up by group already: few rows go on to the sum of the parts.
    from_table = (
        sa.select(*columns, sa.func.sum(tally.table.c.events).label("count"))
        .where(*where)
        .group_by(*columns)
    )
    folded = E.c.position <= state.folded
    regions = [
        (E.c.position > state.folded,),
        (folded, E.c.generated < low),
    ]
    if high is not None:
        regions.append((folded, E.c.generated >= high))
    from_events = [
        part
        for region in regions
        for part in counts.event_parts(event_filter, grouping, dialect, region)
    ]
    return [from_table, *from_events]


# -- keeping the tables ---------------------------------------------------


def _lock_state(conn: sa.engine.Connection, dialect: str, wait: bool):
    """Lock the state row until commit and return (folded, since), or
    None when ``wait`` is false and another transaction holds it."""
    stmt = sa.select(STATE.c.folded, STATE.c.since).where(
        STATE.c.id == tables.COUNT_STATE_ROW
    )
    # SQLite's writers are serialised by BEGIN IMMEDIATE already.
    if dialect != "sqlite":
        stmt = stmt.with_for_update(skip_locked=not wait)
    return conn.execute(stmt).first()


def fold(conn: sa.engine.Connection, dialect: str, most: int) -> int | None:
    """Fold at most ``most`` positions into the tables, in the caller's
    transaction; return how many, or None when another process folds."""
    locked = _lock_state(conn, dialect, wait=False)
    if locked is None:
        return None
    folded, since = locked
    last = conn.execute(
        sa.select(tables.event_position.c.last).where(
            tables.event_position.c.id == tables.POSITION_ROW
        )
    ).scalar()
    upto = min(last, folded + most)
    if upto <= folded:
        return 0
    new = [
        E.c.position > folded,
        E.c.position <= upto,
        E.c.generated >= since,
    ]
    for tally in (TYPE_HOURS, PROJECT_DAYS):
        start = counts.bucket_start(E.c.generated, tally.bucket, dialect)
        key_column = counts.EVENT_COLUMNS[tally.key]
        rows = conn.execute(
            sa.select(start, key_column, sa.func.count())
            .where(*new)
            .group_by(start, key_column)
        ).all()
        _add(conn, tally, {(r[0], r[1]): r[2] for r in rows})
    conn.execute(
        STATE.update()
        .where(STATE.c.id == tables.COUNT_STATE_ROW)
        .values(folded=upto)
    )
    return upto - folded


def _add(
    conn: sa.engine.Connection,
    tally: Tally,
    added: dict[tuple[datetime.datetime, Any], int],
) -> None:
    """Add counts to the table's rows of (bucket start, key)."""
    start, key_column = tally.start, tally.columns[tally.key]
    touched = sorted({bucket for bucket, _ in added})
    merged = dict(added)
    for chunk in _chunks(touched):
        old = conn.execute(
            sa.select(start, key_column, tally.table.c.events).where(
                start.in_(chunk)
            )
        ).all()
        for bucket, value, events in old:
            merged[(bucket, value)] = merged.get((bucket, value), 0) + events
        conn.execute(tally.table.delete().where(start.in_(chunk)))
    rows = [
        {start.name: bucket, key_column.name: value, "events": events}
        for (bucket, value), events in merged.items()
        if events
    ]
    for chunk in _chunks(rows):
        conn.execute(tally.table.insert(), chunk)


def _chunks(items: list) -> list[list]:
    return [
        items[i : i + ROWS_PER_STATEMENT]
        for i in range(0, len(items), ROWS_PER_STATEMENT)
    ]


def expire_before(
    conn: sa.engine.Connection, dialect: str, before: datetime.datetime
) -> None:
    """Stop counting in the tables the time the expirer is about to
    empty: move ``since`` to the first midnight at or after ``before``
    and delete the rows of the time before it, in the caller's
    transaction."""
    _, since = _lock_state(conn, dialect, wait=True)
    new_since = _ceil(before, PROJECT_DAYS)
    if new_since <= since:
        return
    for tally in (TYPE_HOURS, PROJECT_DAYS):
        conn.execute(tally.table.delete().where(tally.start < new_since))
    conn.execute(
        STATE.update()
        .where(STATE.c.id == tables.COUNT_STATE_ROW)
        .values(since=new_since)
    )
