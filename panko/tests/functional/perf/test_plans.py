"""Every listing shape of the benchmark is an index range.

The query plans are read with EXPLAIN on a few thousand events. So few
rows would make a sequential scan, or reading a whole project and
sorting it, the cheapest plans, so PostgreSQL is told to avoid both
(``enable_seqscan`` and ``enable_sort`` off): what is checked is that
the query *can* be answered from the intended index, in order, which is
what keeps it fast at a million events. A condition the index cannot
serve (a function or collation around the column, a sort the index does
not give) would still show a scan or a sort here.
"""

from __future__ import annotations

import datetime
import json

import pytest
import sqlalchemy as sa

from panko.storage import models
from panko.storage.sqlalchemy import prepared
from panko.storage.sqlalchemy import query
from panko.tests.functional.perf import conftest as perf

F = models.EventFilter
T = models.TraitFilter
ASC = models.DEFAULT_SORT
DESC = (("generated", "desc"), ("message_id", "desc"))
N = 3000


@pytest.fixture
def loaded(storage_conn):
    events = perf.notification_events(N)
    perf.store(storage_conn, events, batch=500)
    with storage_conn.facade.writer() as conn:
        conn.exec_driver_sql(
            "ANALYZE event"
            if storage_conn.dialect == "postgresql"
            else "ANALYZE TABLE event"
        )
    return storage_conn, sorted(events, key=lambda e: e.generated)


def shapes(events):
    """(name, filter, sort, marker, index) of each listing the benchmark
    times, and the index that must serve it."""
    middle = events[len(events) // 2]
    window = middle.generated.replace(minute=0, second=0, microsecond=0)
    return [
        ("latest", F(), DESC, None, "ix_event_generated"),
        ("oldest", F(), ASC, None, "ix_event_generated"),
        (
            "event_type",
            F(event_type=perf.EVENT_TYPES[0]),
            ASC,
            None,
            "ix_event_type_generated",
        ),
        (
            "event_type_desc",
            F(event_type=perf.EVENT_TYPES[0]),
            DESC,
            None,
            "ix_event_type_generated",
        ),
        (
            "project_trait",
            F(
                traits=(
                    T("project_id", models.TEXT_TYPE, "eq", perf.project(3)),
                )
            ),
            ASC,
            None,
            "ix_event_project_generated",
        ),
        (
            "window_1h",
            F(
                start_timestamp=window,
                end_timestamp=window + datetime.timedelta(hours=1),
            ),
            ASC,
            None,
            "ix_event_generated",
        ),
        (
            "member",
            F(project=perf.project(3), user=perf.user(3, 1)),
            ASC,
            None,
            "ix_event_project_generated",
        ),
        (
            "member_desc",
            F(project=perf.project(3), user=perf.user(3, 1)),
            DESC,
            None,
            "ix_event_project_generated",
        ),
        ("marker_page", F(), ASC, middle, "ix_event_generated"),
        ("marker_page_desc", F(), DESC, middle, "ix_event_generated"),
        (
            "member_marker_page",
            F(project=perf.project(3)),
            ASC,
            middle,
            "ix_event_project_generated",
        ),
        (
            "by_message_id",
            F(message_id=middle.message_id, project=middle.project_id),
            ASC,
            None,
            "ix_event_message_id",
        ),
    ]


def _explain(conn, stmt, explain: str, generic: bool = False):
    """The rows of ``explain`` + the statement, with the parameters
    SQLAlchemy binds when it runs ``stmt`` itself; with ``generic``, of
    the EXECUTE of it prepared as the API prepares it (prepared.py)."""

    def prefix(conn_, cursor, statement, parameters, context, many):
        if generic:
            info = conn.info
            statement = prepared._execute_prepared(info, cursor, statement)
        return explain + statement, parameters

    sa.event.listen(conn, "before_cursor_execute", prefix, retval=True)
    try:
        result = conn.execute(stmt)
        names = [d[0] for d in result.cursor.description]
        return [
            dict(zip(names, row, strict=True))
            for row in result.cursor.fetchall()
        ]
    finally:
        sa.event.remove(conn, "before_cursor_execute", prefix)


def _pg_plan(storage_conn, stmt, avoid_sort=True, generic=False):
    """See _plan_and_parents; ``generic``: the generic plan."""
    with storage_conn.facade.reader() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        if avoid_sort:
            conn.exec_driver_sql("SET LOCAL enable_sort = off")
        if generic:
            conn.exec_driver_sql(
                "SET LOCAL plan_cache_mode = force_generic_plan"
            )
        return _plan_and_parents(conn, stmt, generic)


def _plan_and_parents(conn, stmt, generic=False):
    """The plan of ``stmt``, and the index of ``event`` each partition's
    index is a copy of."""
    [row] = _explain(conn, stmt, "EXPLAIN (FORMAT JSON) ", generic)
    plan = row["QUERY PLAN"]
    parents = dict(
        conn.exec_driver_sql(
            "SELECT c.relname, p.relname FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relkind = 'I'"
        ).all()
    )
    if isinstance(plan, str):
        plan = json.loads(plan)
    return plan[0]["Plan"], parents


def _nodes(node):
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def _bounded(node) -> bool:
    """True when every row under ``node`` comes through a LIMIT."""
    if node["Node Type"] == "Limit":
        return True
    children = node.get("Plans", ())
    return bool(children) and all(_bounded(c) for c in children)


def _listing(storage_conn, event_filter, sort, marker):
    """PostgreSQL's statement of a 100-event page after ``marker`` (an
    event, or None), with the marker as the driver gives it to its query
    (``_marker``): the query looks its keys up itself, through the
    message_id index."""
    if marker is not None:
        marker = storage_conn._marker(
            F(message_id=marker.message_id).scoped_like(event_filter)
        )
    return storage_conn._events_query(
        event_filter, 100, sort, marker, encoded=True
    )


def _marker_indexes(storage_conn, marker) -> set[str]:
    if marker is None or storage_conn.dialect != "postgresql":
        return set()
    return {"ix_event_message_id"}


@pytest.mark.backends("postgresql")
def test_postgresql_listings_are_index_ranges(loaded):
    storage_conn, events = loaded
    for name, event_filter, sort, marker, index in shapes(events):
        stmt = _listing(storage_conn, event_filter, sort, marker)
        # A single event needs no index to be in order.
        single = event_filter.message_id is not None
        plan, parents = _pg_plan(storage_conn, stmt, avoid_sort=not single)
        if single:
            # Unordered, so that no plan can walk another index in order
            # to find the one row (see _events_query).
            kinds = {node["Node Type"] for node in _nodes(plan)}
            assert not kinds & {"Limit", "Sort", "Incremental Sort"}, name
        used = set()
        for node in _nodes(plan):
            kind = node["Node Type"]
            assert kind != "Seq Scan", (name, node.get("Relation Name"))
            if kind == "Sort" and not single:
                # Only the merge of the already limited branches of a
                # UNION may be sorted whole.
                assert all(_bounded(c) for c in node["Plans"]), name
            if "Index Name" in node and node.get("Relation Name") != (
                "event_type"
            ):
                used.add(parents.get(node["Index Name"], node["Index Name"]))
        assert used == {index} | _marker_indexes(storage_conn, marker), (
            name,
            used,
        )


@pytest.mark.backends("postgresql")
def test_postgresql_generic_plans_are_index_ranges(loaded):
    # The API plans queries without trait conditions once, for any value
    # (driver.py, GENERIC_PLAN_NOTE): their generic plans must be the
    # ordered index ranges the custom plans are.
    storage_conn, events = loaded
    for name, event_filter, sort, marker, _ in shapes(events):
        assert all(query.in_column(tf) for tf in event_filter.traits)
        stmt = _listing(storage_conn, event_filter, sort, marker)
        assert stmt.get_execution_options()[prepared.GENERIC_PLAN], name
        plan, _ = _pg_plan(storage_conn, stmt, generic=True)
        for node in _nodes(plan):
            assert node["Node Type"] != "Seq Scan", name
            if node["Node Type"] == "Sort":
                assert all(_bounded(c) for c in node["Plans"]), name


@pytest.mark.backends("postgresql")
def test_postgresql_trait_equality_uses_the_gin_index(loaded):
    storage_conn, _ = loaded
    rare = F(traits=(T("resource_id", models.TEXT_TYPE, "eq", "nowhere"),))
    stmt = storage_conn._events_query(rare, 100, ASC, None, encoded=True)
    plan, parents = _pg_plan(storage_conn, stmt, avoid_sort=False)
    used = {
        parents.get(node["Index Name"], node["Index Name"])
        for node in _nodes(plan)
        if "Index Name" in node
    }
    assert used == {"ix_event_traits"}


def _mysql_plan(storage_conn, stmt):
    with storage_conn.facade.reader() as conn:
        return _explain(conn, stmt, "EXPLAIN ")


@pytest.mark.backends("mysql")
def test_mysql_listings_are_index_ranges_without_filesort(loaded):
    storage_conn, events = loaded
    for name, event_filter, sort, marker, index in shapes(events):
        stmt = storage_conn._events_query(
            event_filter, 100, sort, marker, encoded=True
        )
        rows = [
            r for r in _mysql_plan(storage_conn, stmt) if r["table"] == "event"
        ]
        assert rows, name
        for row in rows:
            assert row["key"] == index, (name, row)
            assert row["type"] != "ALL", (name, row)
            assert "filesort" not in (row["Extra"] or ""), (name, row)


# -- the position cursor and counts -----------------------------------------

POSITION_INDEX = {"postgresql": "ix_event_position", "mysql": "PRIMARY"}


def cursor_shapes(storage_conn, events):
    """(name, filter, marker) of a poller's reads: everything after a
    position, a next page of it, the same in a member's scope."""
    stored = list(
        storage_conn.get_events(F(after_position=0), models.Pagination())
    )
    middle = stored[len(stored) // 2]
    after = F(after_position=middle.position)
    return [
        ("cursor", after, None),
        ("cursor_page", after, stored[len(stored) // 2 + 10]),
        (
            "member_cursor",
            F(after_position=middle.position, project=perf.project(3)),
            None,
        ),
    ]


@pytest.mark.backends("postgresql")
def test_postgresql_cursor_is_a_position_index_range(loaded):
    storage_conn, events = loaded
    for name, event_filter, marker in cursor_shapes(storage_conn, events):
        stmt = _listing(
            storage_conn, event_filter, models.POSITION_SORT, marker
        )
        plan, parents = _pg_plan(storage_conn, stmt)
        used = set()
        for node in _nodes(plan):
            assert node["Node Type"] not in ("Seq Scan", "Sort"), name
            if "Index Name" in node:
                used.add(parents.get(node["Index Name"], node["Index Name"]))
        assert used == {POSITION_INDEX["postgresql"]} | _marker_indexes(
            storage_conn, marker
        ), (name, used)


@pytest.mark.backends("mysql")
def test_mysql_cursor_is_a_primary_key_range(loaded):
    storage_conn, events = loaded
    for name, event_filter, marker in cursor_shapes(storage_conn, events):
        stmt = storage_conn._events_query(
            event_filter, 100, models.POSITION_SORT, marker, encoded=True
        )
        [row] = _mysql_plan(storage_conn, stmt)
        assert row["key"] == POSITION_INDEX["mysql"], (name, row)
        assert row["type"] == "range", (name, row)
        assert "filesort" not in (row["Extra"] or ""), (name, row)


def count_shapes(events):
    """(name, filter, grouping, index) of the counts the performance page
    times, and the index each is counted from."""
    middle = events[len(events) // 2]
    start = middle.generated.replace(minute=0, second=0, microsecond=0)
    window = {
        "start_timestamp": start,
        "end_timestamp": start + datetime.timedelta(hours=6),
    }
    by = models.Grouping
    return [
        # Any index holds every event; the smallest is the cheapest.
        ("all", F(), by(), None),
        (
            "event_type",
            F(event_type=perf.EVENT_TYPES[0]),
            by(),
            "ix_event_type_generated",
        ),
        (
            "member",
            F(project=perf.project(3)),
            by(),
            "ix_event_project_generated",
        ),
        (
            "admin_scope",
            F(admin_project=perf.project(3)),
            by(),
            "ix_event_project_generated",
        ),
        ("window", F(**window), by(), "ix_event_generated"),
        (
            "window_by_hour",
            F(**window),
            by(("generated",), "hour"),
            "ix_event_generated",
        ),
        (
            "by_event_type",
            F(),
            by(("event_type",)),
            "ix_event_type_generated",
        ),
        (
            "member_by_day",
            F(project=perf.project(3)),
            by(("generated",), "day"),
            "ix_event_project_generated",
        ),
        (
            "by_project",
            F(),
            by(("project_id",)),
            "ix_event_project_generated",
        ),
    ]


@pytest.mark.backends("postgresql")
def test_postgresql_counts_read_only_an_index(loaded):
    from panko.storage.sqlalchemy import counts

    storage_conn, events = loaded
    # Index-only scans need the visibility map that autovacuum keeps.
    with storage_conn.facade.autocommit() as conn:
        conn.exec_driver_sql("VACUUM event")
    for name, event_filter, grouping, index in count_shapes(events):
        stmt = counts.statement(event_filter, grouping, 1000, "postgresql")
        plan, parents = _pg_plan(storage_conn, stmt, avoid_sort=False)
        used = set()
        for node in _nodes(plan):
            kind = node["Node Type"]
            assert kind != "Seq Scan" or node["Relation Name"] == (
                "event_type"
            ), (name, node.get("Relation Name"))
            if "Index Name" in node and node.get("Relation Name") != (
                "event_type"
            ):
                assert kind == "Index Only Scan", (name, kind)
                used.add(parents.get(node["Index Name"], node["Index Name"]))
        assert len(used) == 1 if index is None else used == {index}, (
            name,
            used,
        )


@pytest.mark.backends("mysql")
def test_mysql_counts_read_only_an_index(loaded):
    from panko.storage.sqlalchemy import counts

    storage_conn, events = loaded
    for name, event_filter, grouping, index in count_shapes(events):
        stmt = counts.statement(event_filter, grouping, 1000, "mysql")
        rows = [
            r for r in _mysql_plan(storage_conn, stmt) if r["table"] == "event"
        ]
        assert rows, name
        for row in rows:
            assert index is None or row["key"] == index, (name, row)
            assert row["type"] != "ALL", (name, row)
            assert "Using index" in (row["Extra"] or ""), (name, row)


def _tallied(storage_conn, events):
    """(name, statement) of each count of ``count_shapes`` the tables
    of counts answer, after half the events are folded into them."""
    from panko.storage.sqlalchemy import counts
    from panko.storage.sqlalchemy import tallies

    with storage_conn.facade.writer() as conn:
        tallies.fold(conn, storage_conn.dialect, len(events) // 2)
    state = storage_conn._count_state()
    shapes = []
    for name, event_filter, grouping, _ in count_shapes(events):
        tally = tallies.choose(event_filter, grouping)
        if tally is None:
            continue
        parts = tallies.parts(
            tally, event_filter, grouping, state, storage_conn.dialect
        )
        stmt = counts.statement(
            event_filter, grouping, 1000, storage_conn.dialect, parts
        )
        shapes.append((name, stmt))
    assert len(shapes) >= 6
    return shapes


COUNT_TABLES = {"count_by_type_hour", "count_by_project_day", "event_type"}


@pytest.mark.backends("postgresql")
def test_postgresql_counts_with_the_tables_read_event_ranges(loaded):
    """What a count reads of the event table besides the tables of
    counts is index ranges: the positions not folded yet, and times
    before the tables' start or in the part-hours of a window."""
    storage_conn, events = loaded
    for name, stmt in _tallied(storage_conn, events):
        plan, _ = _pg_plan(storage_conn, stmt, avoid_sort=False)
        on_events = [
            node
            for node in _nodes(plan)
            if node.get("Relation Name", "").startswith("event_p")
        ]
        assert on_events, name
        for node in on_events:
            assert node["Node Type"] in (
                "Index Scan",
                "Index Only Scan",
                "Bitmap Heap Scan",
            ), (name, node["Node Type"])
            assert "Index Cond" in node or "Recheck Cond" in node, (
                name,
                node,
            )


@pytest.mark.backends("mysql")
def test_mysql_counts_with_the_tables_read_event_ranges(loaded):
    storage_conn, events = loaded
    for name, stmt in _tallied(storage_conn, events):
        rows = _mysql_plan(storage_conn, stmt)
        on_events = [r for r in rows if r["table"] == "event"]
        assert on_events, name
        for row in on_events:
            assert row["type"] in ("range", "ref"), (name, row)


# -- a member's listing with [api] restrict_to_user ------------------------

# 10,000 events over two days, stored in no particular order of time as
# the benchmark's are: a tenth of them in one project of two users, the
# rest in 200 projects of one user each.
SKEWED = """
INSERT INTO event (position, message_id, event_type_id, generated,
                   project_id, user_id, traits)
SELECT 100 + i, md5(i::text), %(type_id)s,
       %(start)s + mod(i * 7919, %(n)s) * (interval '2 days' / %(n)s),
       CASE WHEN mod(i, 10) = 0 THEN 'big' ELSE 'p' || mod(i, 200) END,
       CASE WHEN mod(i, 10) = 0 THEN 'big-' || mod(i / 10, 2)
            ELSE 'u' || mod(i, 200) END,
       '{}'
FROM generate_series(0, %(n)s - 1) i
"""


@pytest.fixture
def skewed(storage_conn):
    """Two partitions made by a writer, filled with SKEWED and analyzed;
    sorting stays allowed, so the plan is the planner's own choice."""
    storage_conn.record_events(
        [
            models.Event(
                "day-%d" % day,
                perf.EVENT_TYPES[0],
                perf.START + datetime.timedelta(days=day),
                [],
                {},
            )
            for day in range(2)
        ]
    )
    with storage_conn.facade.writer() as conn:
        type_id = conn.exec_driver_sql(
            "SELECT min(event_type_id) FROM event"
        ).scalar()
        conn.exec_driver_sql(
            SKEWED, {"type_id": type_id, "start": perf.START, "n": 10000}
        )
        conn.exec_driver_sql("ANALYZE event")
    return storage_conn


@pytest.mark.backends("postgresql")
def test_postgresql_member_listing_with_user_is_an_ordered_range(skewed):
    # The user's events are half of their project's here (500). Taken as
    # independent of the project, they would be estimated at a twentieth
    # of it (50), fewer than the page, which makes reading the whole
    # project and sorting it look cheaper than walking the index in
    # order. The partitions' statistics on (project_id, user_id) correct
    # that; without them this plan has a Sort of the 1,000 events.
    member = F(project="big", user="big-1")
    for sort in (ASC, DESC):
        stmt = skewed._events_query(member, 100, sort, None, encoded=True)
        with skewed.facade.reader() as conn:
            plan, parents = _plan_and_parents(conn, stmt)
        nodes = list(_nodes(plan))
        kinds = [node["Node Type"] for node in nodes]
        assert "Sort" not in kinds and "Bitmap Heap Scan" not in kinds, (
            sort,
            kinds,
        )
        used = [
            parents.get(n["Index Name"]) for n in nodes if "Index Name" in n
        ]
        assert used and set(used) == {"ix_event_project_generated"}, (
            sort,
            kinds,
        )
        assert {n["Node Type"] for n in nodes if "Index Name" in n} == {
            "Index Scan"
        }, (sort, kinds)
