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


def event_rows(
    events: Iterable[models.Event],
    type_ids: dict[str, int],
    first_position: int,
    dialect: str,
) -> list[dict]:
    # The JSONB type of PostgreSQL encodes the document itself.
    encode_traits = (
        (lambda doc: doc) if dialect == "postgresql" else codec.encode_json
    )
    rows = []
    for position, event in enumerate(events, first_position):
        rows.append(
            {
                "position": position,
                "message_id": event.message_id,
                "event_type_id": type_ids[event.event_type],
                "generated": event.generated,
                "project_id": codec.text_trait(
                    event.traits, models.PROJECT_TRAIT
                ),
                "user_id": codec.text_trait(event.traits, models.USER_TRAIT),
                "traits": encode_traits(codec.traits_document(event.traits)),
                "raw": (
                    None if event.raw is None else codec.encode_json(event.raw)
                ),
            }
        )
    return rows


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
    if dialect == "postgresql":
        # A per-partition unique index on message_id skips duplicates.
        stmt = (
            postgresql.insert(tables.event)
            .on_conflict_do_nothing()
            .returning(tables.event.c.message_id)
        )
        stored = list(conn.execute(stmt, rows).scalars())
    else:
        conn.execute(tables.event.insert(), rows)
        stored = [row["message_id"] for row in rows]
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
