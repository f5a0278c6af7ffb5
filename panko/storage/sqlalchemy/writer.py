"""Storing a batch of events in one transaction.

The transaction first locks the ``event_position`` row. That serialises
writers (so they never deadlock with each other, and the expirer's
clean-up of event types cannot race them), and hands out positions in
commit order. Each table then gets one multi-row statement: no statement
per event, none per trait.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from panko.storage import models
from panko.storage.sqlalchemy import codec
from panko.storage.sqlalchemy import tables

# Bound parameters per statement stay well under SQLite's 32766.
LOOKUP_CHUNK = 500


def lock_position(conn: sa.engine.Connection) -> int:
    """Lock the position row until commit; return the last position."""
    stmt = (
        sa.select(tables.event_position.c.last)
        .where(tables.event_position.c.id == tables.POSITION_ROW)
        .with_for_update()
    )
    last = conn.execute(stmt).scalar()
    if last is None:
        raise RuntimeError(
            "The event_position row is missing: run panko-dbsync."
        )
    return last


def set_position(conn: sa.engine.Connection, last: int) -> None:
    conn.execute(
        tables.event_position.update()
        .where(tables.event_position.c.id == tables.POSITION_ROW)
        .values(last=last)
    )


def event_type_ids(
    conn: sa.engine.Connection, dialect: str, names: set[str]
) -> dict[str, int]:
    """Ids of ``names``, creating the missing event types."""
    t = tables.event_type
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


def existing_message_ids(
    conn: sa.engine.Connection, message_ids: list[str]
) -> set[str]:
    found = set()
    column = tables.event.c.message_id
    for i in range(0, len(message_ids), LOOKUP_CHUNK):
        chunk = message_ids[i : i + LOOKUP_CHUNK]
        found.update(
            conn.execute(sa.select(column).where(column.in_(chunk))).scalars()
        )
    return found


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


def event_rows(
    events: Iterable[models.Event],
    type_ids: dict[str, int],
    first_position: int,
    dialect: str,
) -> list[tuple]:
    """Rows of ``event`` in the order of COLUMNS, ready for the DBAPI."""
    # SQLite compares times as text: write them as SQLAlchemy does, with
    # microseconds always.
    stamp = (
        (lambda value: value.isoformat(" ", "microseconds"))
        if dialect == "sqlite"
        else (lambda value: value)
    )
    text_trait = codec.text_trait
    rows = []
    for position, event in enumerate(events, first_position):
        traits = event.traits
        rows.append(
            (
                position,
                event.message_id,
                type_ids[event.event_type],
                stamp(event.generated),
                text_trait(traits, models.PROJECT_TRAIT),
                text_trait(traits, models.USER_TRAIT),
                codec.encode_json(codec.traits_document(traits)),
                event.raw_json,
            )
        )
    return rows


_INSERT = "INSERT INTO event (%s) VALUES " % ", ".join(COLUMNS)  # noqa: S608


def insert_events(
    conn: sa.engine.Connection, dialect: str, rows: list[tuple]
) -> list[str]:
    """Insert rows in one statement; return the message_ids inserted.

    Goes to the DBAPI cursor directly, inside the connection's
    transaction: for a hundred wide rows SQLAlchemy's statement building
    costs more than the database's work. On PostgreSQL a per-partition
    unique index on message_id skips events already stored.
    """
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if dialect == "postgresql":
            from psycopg2 import extras

            inserted = extras.execute_values(
                cursor,
                _INSERT + "%s ON CONFLICT DO NOTHING RETURNING message_id",
                rows,
                template="(%s, %s, %s, %s, %s, %s, %s::jsonb, %s)",
                page_size=len(rows),
                fetch=True,
            )
            return [row[0] for row in inserted]
        mark = "%s" if dialect == "mysql" else "?"
        cursor.executemany(
            _INSERT + "(%s)" % ", ".join([mark] * len(COLUMNS)), rows
        )
        return [row[1] for row in rows]
    except conn.dialect.loaded_dbapi.Error as e:
        raise sa.exc.DBAPIError.instance(
            _INSERT, rows[:1], e, conn.dialect.loaded_dbapi.Error
        ) from e
    finally:
        cursor.close()


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
    last = lock_position(conn)
    type_ids = event_type_ids(
        conn, dialect, {event.event_type for event in events}
    )
    if dialect != "postgresql":
        # Writers are serialised by the position lock: nobody can store
        # one of these between this look-up and the insert.
        existing = existing_message_ids(conn, [e.message_id for e in events])
        events = [e for e in events if e.message_id not in existing]
    if not events:
        return [], set()
    rows = event_rows(events, type_ids, last + 1, dialect)
    stored = insert_events(conn, dialect, rows)
    set_position(conn, last + len(rows))

    stored_ids = set(stored)
    new_trait_types = {
        (type_ids[e.event_type], t.name, t.dtype)
        for e in events
        if e.message_id in stored_ids
        for t in e.traits
    } - known_trait_types
    if new_trait_types:
        conn.execute(
            insert_ignore(tables.trait_type, dialect),
            [
                {"event_type_id": type_id, "name": name, "dtype": dtype}
                for type_id, name, dtype in sorted(new_trait_types)
            ],
        )
    return stored, new_trait_types
