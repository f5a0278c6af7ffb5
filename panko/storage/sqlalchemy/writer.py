"""Storing a batch of events in one transaction.

The transaction first locks the ``event_position`` row while claiming
positions for the batch. That serialises writers (so they never
deadlock with each other, and the expirer's clean-up of event types
cannot race them), and hands out positions in commit order. Under that
lock one look-up finds the message_ids already stored, which keeps them
unique without a unique index (PostgreSQL could only enforce one per
partition). The events then go in with one statement, a binary COPY on
PostgreSQL: no statement per event, none per trait. On PostgreSQL a
batch is three round trips: claim and look-ups, COPY, commit.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
import contextlib
import datetime
import itertools
import struct
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from panko import jsonutils
from panko.storage import models
from panko.storage.sqlalchemy import codec
from panko.storage.sqlalchemy import tables

# Bound parameters per statement stay well under SQLite's 32766.
LOOKUP_CHUNK = 500
_MISSING_POSITION_ROW = "The event_position row is missing: run panko-dbsync."


@contextlib.contextmanager
def _translated(conn: sa.engine.Connection) -> Iterator[None]:
    """The errors of the DBAPI connection under ``conn`` come out as
    SQLAlchemy's, which the write retries and ``translate_errors`` tell
    apart (a lost connection is retried, a bad row is not)."""
    try:
        yield
    except conn.dialect.loaded_dbapi.Error as e:
        raise sa.exc.DBAPIError.instance(
            None, None, e, conn.dialect.loaded_dbapi.Error
        ) from e


@contextlib.contextmanager
def _cursor(conn: sa.engine.Connection) -> Iterator[Any]:
    """A cursor of the DBAPI connection under ``conn``, closed after
    use, its errors translated (:func:`_translated`)."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        with _translated(conn):
            yield cursor
    finally:
        cursor.close()


def lock_position(conn: sa.engine.Connection) -> int:
    """Lock the position row until commit; return the last position."""
    stmt = (
        sa.select(tables.event_position.c.last)
        .where(tables.event_position.c.id == tables.POSITION_ROW)
        .with_for_update()
    )
    last = conn.execute(stmt).scalar()
    if last is None:
        raise RuntimeError(_MISSING_POSITION_ROW)
    return last


def set_position(conn: sa.engine.Connection, last: int) -> None:
    conn.execute(
        tables.event_position.update()
        .where(tables.event_position.c.id == tables.POSITION_ROW)
        .values(last=last)
    )


def event_type_ids(
    conn: sa.engine.Connection,
    dialect: str,
    names: set[str],
    found: dict[str, int] | None = None,
) -> dict[str, int]:
    """Ids of ``names``, creating the missing event types; ``found``:
    the ids already looked up."""
    t = tables.event_type
    if found is None:
        found = dict(
            conn.execute(
                sa.select(t.c.name, t.c.id).where(t.c.name.in_(sorted(names)))
            ).all()
        )
    missing = names - set(found)
    if missing:
        conn.execute(
            insert_ignore(t, dialect),
            [{"name": name} for name in sorted(missing)],
        )
        found.update(
            conn.execute(
                sa.select(t.c.name, t.c.id).where(
                    t.c.name.in_(sorted(missing))
                )
            ).all()
        )
    return found


def insert_ignore(table: sa.Table, dialect: str):
    """An INSERT that skips rows whose key is already present. Only used
    on tables whose rows differ by nothing but their key."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "mysql":
        return mysql.insert(table).prefix_with("IGNORE")
    return sqlite.insert(table).on_conflict_do_nothing()


# One round trip on PostgreSQL: take the position lock while claiming
# positions, then, in a second statement (which sees everything the
# previous holder of the lock committed), the last position, the
# message_ids already stored and the event types known. Each message_id
# is looked up on its own (LATERAL ... LIMIT 1), which can only be an
# index probe per partition: "message_id = ANY(...)" lets the planner
# read every partition whole while it has no statistics on them yet.
_PG_CLAIM = """UPDATE event_position SET last = last + %(count)s WHERE id = 1;
SELECT 0, NULL, last FROM event_position WHERE id = 1
UNION ALL SELECT 1, found.message_id, NULL
    FROM unnest(%(message_ids)s::text[]) AS wanted (message_id)
    CROSS JOIN LATERAL (
        SELECT message_id FROM event
        WHERE message_id = wanted.message_id LIMIT 1
    ) AS found
UNION ALL SELECT 2, name, id FROM event_type WHERE name = ANY(%(types)s)"""


def _claim_postgresql(
    conn: sa.engine.Connection, events: list[models.Event]
) -> tuple[int, set[str], dict[str, int]]:
    with _cursor(conn) as cursor:
        cursor.execute(
            _PG_CLAIM,
            {
                "count": len(events),
                "message_ids": [e.message_id for e in events],
                "types": sorted({e.event_type for e in events}),
            },
        )
        rows = cursor.fetchall()
    last = [value for kind, _, value in rows if kind == 0]
    if not last:
        raise RuntimeError(_MISSING_POSITION_ROW)
    existing = {name for kind, name, _ in rows if kind == 1}
    type_ids = {name: value for kind, name, value in rows if kind == 2}
    return last[0], existing, type_ids


def _claim(conn: sa.engine.Connection, count: int) -> int:
    """Lock the position row, add ``count`` to it; return the result."""
    position = tables.event_position
    claimed = conn.execute(
        position.update()
        .where(position.c.id == tables.POSITION_ROW)
        .values(last=position.c.last + count)
    ).rowcount
    if claimed != 1:
        raise RuntimeError(_MISSING_POSITION_ROW)
    return conn.execute(
        sa.select(position.c.last).where(position.c.id == tables.POSITION_ROW)
    ).scalar()


def _look_up(
    conn: sa.engine.Connection, events: list[models.Event]
) -> tuple[set[str], dict[str, int]]:
    """The message_ids of ``events`` stored already, and the ids of the
    event types known, in one round trip for up to LOOKUP_CHUNK events
    (one statement per chunk beyond)."""
    found: set[str] = set()
    message_id = tables.event.c.message_id
    t = tables.event_type
    types = sa.select(sa.literal(1), t.c.name, t.c.id).where(
        t.c.name.in_(sorted({e.event_type for e in events}))
    )
    type_ids: dict[str, int] = {}
    for i in range(0, len(events), LOOKUP_CHUNK):
        chunk = [e.message_id for e in events[i : i + LOOKUP_CHUNK]]
        stored = sa.select(sa.literal(0), message_id, sa.null()).where(
            message_id.in_(chunk)
        )
        stmt = sa.union_all(stored, types) if i == 0 else stored
        _sort_look_up(conn.execute(stmt), found, type_ids)
    return found, type_ids


def _sort_look_up(rows, found: set[str], type_ids: dict[str, int]) -> None:
    """Sort the rows of a look-up: ``(0, message_id, NULL)`` of a stored
    event, ``(1, name, id)`` of a known event type."""
    for kind, name, type_id in rows:
        if kind:
            type_ids[name] = type_id
        else:
            found.add(name)


_MYSQL_STORED = (
    "SELECT 0, message_id, NULL FROM event WHERE message_id IN (%s)"  # noqa: S608
)
_MYSQL_TYPES = (
    " UNION ALL SELECT 1, name, id FROM event_type WHERE name IN (%s)"  # noqa: S608,E501
)


# LAST_INSERT_ID(expr) hands the new value back with the statement's
# result: no SELECT needed.
_MYSQL_CLAIM = (
    "UPDATE event_position SET last = LAST_INSERT_ID(last + %d) WHERE id = 1"
)


def _claim_mysql(
    conn: sa.engine.Connection,
    events: list[models.Event],
    encoded: dict[str, tuple[str, str]],
) -> tuple[int, set[str], dict[str, int]]:
    """:func:`_claim` then :func:`_look_up` on MySQL, written as
    hexadecimal literals on the DBAPI connection: PyMySQL escapes bound
    strings a character at a time, which with SQLAlchemy's rendering of
    the IN list cost twice the database's work.

    While the server runs them, the rows of the first INSERT are
    encoded into ``encoded`` (:func:`_mysql_parts`), so that it can be
    sent as soon as the look-up is answered: those of events found
    stored are never used."""
    statements = _MySQLStatements(conn.connection.dbapi_connection)
    ahead = iter(events[:MYSQL_STATEMENT_ROWS])

    def encode_ahead(count: int | None = None) -> None:
        for event in itertools.islice(ahead, count):
            encoded[event.message_id] = _mysql_parts(event)

    found: set[str] = set()
    type_ids: dict[str, int] = {}
    names = ",".join(
        _mysql_text(name) for name in sorted({e.event_type for e in events})
    )
    with _translated(conn):
        # The claim is answered sooner than the look-up: a few rows.
        claimed, last, _ = statements.run(
            _MYSQL_CLAIM % len(events),
            lambda: encode_ahead(MYSQL_STATEMENT_ROWS // 5),
        )
        if claimed != 1:
            raise RuntimeError(_MISSING_POSITION_ROW)
        for i in range(0, len(events), LOOKUP_CHUNK):
            ids = ",".join(
                _mysql_text(e.message_id) for e in events[i : i + LOOKUP_CHUNK]
            )
            # Hexadecimal literals: nothing from the events is quoted.
            stmt = _MYSQL_STORED % ids
            if i == 0:
                stmt += _MYSQL_TYPES % names
            _, _, rows = statements.run(stmt, encode_ahead if i == 0 else None)
            _sort_look_up(rows, found, type_ids)
    return last, found, type_ids


COLUMNS = (
    "position",
    "message_id",
    "event_type_id",
    "generated",
    "project_id",
    "user_id",
    "traits",
    "raw",
)

# PostgreSQL's binary COPY format: a signature, flags and header
# extension length, then per row a field count and each field as a
# length (-1 for NULL) and its bytes, then -1 as the row count ends it.
_COPY_SQL = "COPY event (%s) FROM STDIN WITH (FORMAT binary)" % ", ".join(
    COLUMNS
)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
_ROW_START = struct.pack("!h", len(COLUMNS))
_pack_int8 = struct.Struct("!iq").pack
_pack_int4 = struct.Struct("!ii").pack
_pack_length = struct.Struct("!i").pack
_NULL = _pack_length(-1)
_PG_EPOCH = datetime.datetime(2000, 1, 1)
_MICROSECOND = datetime.timedelta(microseconds=1)
# jsonb's binary form: a version byte, then the JSON text.
_JSONB_VERSION = b"\x01"
# Bytes of COPY data encoded before they are handed to the server, which
# parses them while the next rows are encoded.
COPY_CHUNK = 32768


def _pg_text(value: str | None) -> bytes:
    if value is None:
        return _NULL
    encoded = value.encode()
    return _pack_length(len(encoded)) + encoded


def _pg_bytes(value: bytes | None) -> bytes:
    if value is None:
        return _NULL
    return _pack_length(len(value)) + value


def _copy_rows(
    events: list[models.Event],
    type_ids: dict[str, int],
    positions: Iterable[int],
) -> Iterator[bytes]:
    """The rows of ``events`` in binary COPY format."""
    yield _COPY_HEADER
    dumps = jsonutils.dumps_bytes
    for position, event in zip(positions, events, strict=True):
        project, user, doc = codec.split_traits(event.traits)
        traits = _JSONB_VERSION + dumps(doc)
        yield b"".join(
            (
                _ROW_START,
                _pack_int8(8, position),
                _pg_text(event.message_id),
                _pack_int4(4, type_ids[event.event_type]),
                _pack_int8(8, (event.generated - _PG_EPOCH) // _MICROSECOND),
                _pg_text(project),
                _pg_text(user),
                _pack_length(len(traits)),
                traits,
                _pg_bytes(codec.encode_shown(event)),
            )
        )
    yield _COPY_TRAILER


class _CopyStream:
    """What psycopg2's copy_expert reads from: each read() encodes rows
    until it has the bytes asked for, so that encoding the rest of the
    batch overlaps with the server parsing the first rows."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks

    def read(self, size: int = -1) -> bytes:
        out, length = [], 0
        for chunk in self._chunks:
            out.append(chunk)
            length += len(chunk)
            if 0 < size <= length:
                break
        return b"".join(out)


def _mysql_text(value: str | None) -> str:
    # Hexadecimal literals need no escaping, whatever the sql_mode (with
    # or without NO_BACKSLASH_ESCAPES), and hex() is much cheaper than
    # escaping character by character.
    if value is None:
        return "NULL"
    return "_utf8mb4 X'%s'" % value.encode().hex()


def _mysql_parts(event: models.Event) -> tuple[str, str]:
    """The SQL literals of an event's row but for its position and event
    type id: the message_id's, and those of the columns after the event
    type id, with the closing parenthesis. Nearly all the encoding of a
    row, done before the position and the event type ids are known."""
    project, user, doc = codec.split_traits(event.traits)
    rest = ",'%s',%s,%s,_utf8mb4 X'%s',X'%s')" % (
        event.generated.isoformat(" ", "microseconds"),
        _mysql_text(project),
        _mysql_text(user),
        jsonutils.dumps_bytes(doc).hex(),
        codec.encode_shown(event).hex(),
    )
    return _mysql_text(event.message_id), rest


def _mysql_values(
    events: list[models.Event],
    type_ids: dict[str, int],
    positions: Iterable[int],
    encoded: dict[str, tuple[str, str]] | None = None,
) -> Iterator[str]:
    """One ``(...)`` tuple of SQL literals per event; ``encoded``: the
    :func:`_mysql_parts` of events encoded already, by message_id."""
    encoded = encoded or {}
    for position, event in zip(positions, events, strict=True):
        parts = encoded.get(event.message_id)
        if parts is None:
            parts = _mysql_parts(event)
        yield "(%d,%s,%d%s" % (
            position,
            parts[0],
            type_ids[event.event_type],
            parts[1],
        )


# MySQL statements stay well under the server's max_allowed_packet
# (16 MiB by default on MariaDB, 64 MiB on MySQL).
MYSQL_STATEMENT_BYTES = 4 * 1024 * 1024
# Rows per INSERT on MySQL: each statement is encoded while the one
# before runs (see _mysql_insert).
MYSQL_STATEMENT_ROWS = 25
_INSERT = "INSERT INTO event (%s) VALUES " % ", ".join(COLUMNS)  # noqa: S608
# The MySQL protocol's command for a statement (pymysql.constants.COMMAND).
_COM_QUERY = 3


def _mysql_statements(
    events: list[models.Event],
    type_ids: dict[str, int],
    positions: Iterable[int],
    encoded: dict[str, tuple[str, str]] | None = None,
) -> Iterator[str]:
    """The INSERTs of ``events``, encoded one at a time."""
    statement, length = [], 0
    for values in _mysql_values(events, type_ids, positions, encoded):
        statement.append(values)
        length += len(values)
        if (
            len(statement) >= MYSQL_STATEMENT_ROWS
            or length >= MYSQL_STATEMENT_BYTES
        ):
            yield _INSERT + ",".join(statement)
            statement, length = [], 0
    if statement:
        yield _INSERT + ",".join(statement)


class _MySQLStatements:
    """Runs statements on a MySQL DBAPI connection, each while the
    caller does some other work: with PyMySQL, a statement is sent, the
    work done while the server runs it, and only then is its answer
    read. One statement is in flight at a time, as the protocol wants.

    All of it in the caller's thread: a helper thread running the
    statements could not take the GIL back from the encoding in the
    caller's before the encoding was done (Python hands the GIL to a
    waiting thread after 5 ms), so the statements waited for it rather
    than ran meanwhile.

    PyMySQL has no public call that sends a statement without reading
    its answer: its ``Connection.query()`` is the pair of calls used
    here. With a connection that has them not, each statement runs on
    a cursor before the work is done."""

    def __init__(self, dbapi_conn: Any):
        self._conn = dbapi_conn
        self._send = getattr(dbapi_conn, "_execute_command", None)
        self._read = getattr(dbapi_conn, "_read_query_result", None)

    def run(
        self, statement: str, meanwhile: Callable[[], None] | None = None
    ) -> tuple[int, int, tuple]:
        """Run ``statement``, calling ``meanwhile()`` while the server
        runs it; return the rows it affected, its insert id and the rows
        it returned. Its answer is read before anything ``meanwhile``
        raises is raised: the connection is not left with an answer
        unread, which the next statement (the rollback) would read as
        its own."""
        if self._send is None or self._read is None:
            cursor = self._conn.cursor()
            try:
                cursor.execute(statement)
                rows = tuple(cursor.fetchall()) if cursor.description else ()
                result = cursor.rowcount, cursor.lastrowid, rows
            finally:
                cursor.close()
            if meanwhile is not None:
                meanwhile()
            return result
        self._send(_COM_QUERY, statement.encode())
        try:
            if meanwhile is not None:
                meanwhile()
        finally:
            self._read()
        answer = self._conn._result
        return answer.affected_rows, answer.insert_id, answer.rows or ()


def _mysql_insert(dbapi_conn: Any, statements: Iterator[str]) -> None:
    """Run ``statements`` in order on ``dbapi_conn``, each encoded
    while the one before runs (:class:`_MySQLStatements`).

    The encoding of the rows (traits document, compression, hexadecimal
    literals: a third of a batch's time) overlaps the server's insert of
    the rows before, as PostgreSQL's streamed COPY does."""
    runner = _MySQLStatements(dbapi_conn)
    following: list[str | None] = [next(statements, None)]

    def encode_next() -> None:
        following.append(next(statements, None))

    while following[-1] is not None:
        runner.run(following.pop(), encode_next)


def _then(work: Callable[[], None] | None) -> Iterator[str]:
    """No statement: ``work`` is done when the next one is asked for."""
    if work is not None:
        work()
    yield from ()


def _sqlite_rows(
    events: list[models.Event],
    type_ids: dict[str, int],
    positions: Iterable[int],
) -> list[tuple]:
    rows = []
    for position, event in zip(positions, events, strict=True):
        project, user, doc = codec.split_traits(event.traits)
        rows.append(
            (
                position,
                event.message_id,
                type_ids[event.event_type],
                # SQLite compares times as text: write them as SQLAlchemy
                # does, with microseconds always.
                event.generated.isoformat(" ", "microseconds"),
                project,
                user,
                codec.encode_json(doc),
                codec.encode_shown(event),
            )
        )
    return rows


def insert_events(
    conn: sa.engine.Connection,
    dialect: str,
    events: list[models.Event],
    type_ids: dict[str, int],
    positions: Iterable[int],
    encoded: dict[str, tuple[str, str]] | None = None,
    then: Callable[[], None] | None = None,
) -> None:
    """Insert ``events`` (none of them stored yet) with ``positions``;
    ``encoded``: on MySQL, the rows of some encoded already
    (:func:`_mysql_parts`); ``then``: work done once the rows are
    encoded, on MySQL while the last INSERT runs.

    Goes to the DBAPI cursor directly, inside the connection's
    transaction: for a hundred wide rows SQLAlchemy's statement building
    costs more than the database's work. PostgreSQL gets one binary
    COPY, MySQL multi-row INSERTs of literals, SQLite one executemany.
    """
    dbapi_conn = conn.connection.dbapi_connection
    if dialect == "mysql":
        with _translated(conn):
            _mysql_insert(
                dbapi_conn,
                itertools.chain(
                    _mysql_statements(events, type_ids, positions, encoded),
                    _then(then),
                ),
            )
        return
    with _cursor(conn) as cursor:
        if dialect == "postgresql":
            if dbapi_conn.encoding != "UTF8":
                # Text fields of binary COPY are in the client encoding.
                dbapi_conn.set_client_encoding("UTF8")
            cursor.copy_expert(
                _COPY_SQL,
                _CopyStream(_copy_rows(events, type_ids, positions)),
                size=COPY_CHUNK,
            )
        else:
            cursor.executemany(
                _INSERT + "(%s)" % ", ".join("?" * len(COLUMNS)),
                _sqlite_rows(events, type_ids, positions),
            )
    if then is not None:
        then()


def record(
    conn: sa.engine.Connection,
    dialect: str,
    events: list[models.Event],
    known_trait_types: set,
) -> tuple[list[str], set]:
    """Store ``events`` (checked, distinct message_ids) in the current
    transaction, skipping those already stored.

    Returns the message_ids written and the trait types this transaction
    added, to be remembered once it commits.
    """
    # Positions are claimed for the whole batch before the look-up: the
    # events found stored already leave a gap, which costs nothing (a
    # reader after position P still gets every event in commit order)
    # and saves a statement.
    encoded: dict[str, tuple[str, str]] = {}
    if dialect == "postgresql":
        last, existing, known_types = _claim_postgresql(conn, events)
    elif dialect == "mysql":
        last, existing, known_types = _claim_mysql(conn, events, encoded)
    else:
        last = _claim(conn, len(events))
        existing, known_types = _look_up(conn, events)
    first = last - len(events) + 1
    if existing:
        events = [e for e in events if e.message_id not in existing]
    if not events:
        return [], set()
    type_ids = event_type_ids(
        conn, dialect, {event.event_type for event in events}, known_types
    )
    new_trait_types: set = set()

    def find_new_trait_types() -> None:
        new_trait_types.update(
            {
                (type_ids[e.event_type], t.name, t.dtype)
                for e in events
                for t in e.traits
            }
            - known_trait_types
        )

    insert_events(
        conn,
        dialect,
        events,
        type_ids,
        range(first, first + len(events)),
        encoded,
        then=find_new_trait_types,
    )
    if new_trait_types:
        conn.execute(
            insert_ignore(tables.trait_type, dialect),
            [
                {"event_type_id": type_id, "name": name, "dtype": dtype}
                for type_id, name, dtype in sorted(new_trait_types)
            ],
        )
    return [e.message_id for e in events], new_trait_types
