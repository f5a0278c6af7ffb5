"""Converting a database Panko 10.0.0 left into panko's schema.

Panko 10 kept an ``event`` row per event, its type in ``event_type.desc``
and one row per trait in ``trait_text``, ``trait_int``, ``trait_float``
and ``trait_datetime``; MySQL held times as DECIMAL(20, 6) seconds since
the epoch. The conversion renames those tables ``panko10_*``, creates the
new schema, copies events in batches in the order Panko 10 stored them
(their old id becomes their position, so an interrupted run resumes where
it stopped) and drops the old tables once every event is across.
"""

from __future__ import annotations

import datetime
import decimal

import orjson
from oslo_log import log
import sqlalchemy as sa

from panko import jsonutils
from panko.storage import models
from panko.storage.sqlalchemy import partitions
from panko.storage.sqlalchemy import tables
from panko.storage.sqlalchemy import writer

LOG = log.getLogger(__name__)

BATCH = 2000
OLD_TABLES = (
    "event",
    "event_type",
    "trait_text",
    "trait_int",
    "trait_float",
    "trait_datetime",
)
# Secondary indexes of Panko 10; their names would clash with the new
# schema's on PostgreSQL and SQLite, where index names are global.
OLD_INDEXES = {
    "event": ("ix_event_message_id", "ix_event_type_id", "ix_event_generated"),
    "trait_text": ("ix_trait_text_event_id_key",),
    "trait_int": ("ix_trait_int_event_id_key",),
    "trait_float": ("ix_trait_float_event_id_key",),
    "trait_datetime": ("ix_trait_datetime_event_id_key",),
}
TRAIT_TABLES = (
    ("panko10_trait_text", models.TEXT_TYPE),
    ("panko10_trait_int", models.INT_TYPE),
    ("panko10_trait_float", models.FLOAT_TYPE),
    ("panko10_trait_datetime", models.DATETIME_TYPE),
)


def set_aside(conn: sa.engine.Connection) -> bool:
    """Rename Panko 10's tables out of the way; False when there are none.

    Also true when an earlier, interrupted conversion left them renamed.
    """
    names = set(sa.inspect(conn).get_table_names())
    if "panko10_event" in names:
        return True
    if "trait_text" not in names:
        return False
    dialect = conn.dialect.name
    # MySQL names indexes per table (and its foreign keys need them).
    for table, indexes in OLD_INDEXES.items() if dialect != "mysql" else ():
        existing = {i["name"] for i in sa.inspect(conn).get_indexes(table)}
        for index in indexes:
            if index in existing:
                conn.exec_driver_sql("DROP INDEX %s" % index)
    if dialect == "mysql":
        # Foreign keys name the tables; InnoDB follows renames.
        conn.exec_driver_sql(
            "RENAME TABLE "
            + ", ".join("%s TO panko10_%s" % (t, t) for t in OLD_TABLES)
        )
    else:
        for table in OLD_TABLES:
            conn.exec_driver_sql(
                "ALTER TABLE %s RENAME TO panko10_%s" % (table, table)
            )
    if dialect == "postgresql":
        _rename_constraints(conn)
    return True


def _rename_constraints(conn: sa.engine.Connection) -> None:
    """PostgreSQL names constraint indexes and sequences globally
    (event_type_pkey, event_type_id_seq): give the old ones a prefix
    too."""
    for table in ("event", "event_type"):
        sequence = conn.exec_driver_sql(
            "SELECT pg_get_serial_sequence('panko10_%s', 'id')" % table
        ).scalar()
        if sequence:
            name = sequence.split(".")[-1].strip('"')
            conn.exec_driver_sql(
                'ALTER SEQUENCE %s RENAME TO "panko10_%s"' % (sequence, name)
            )
    rows = conn.exec_driver_sql(
        "SELECT c.conname, t.relname FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid "
        "WHERE t.relname LIKE 'panko10_%%' "
        "AND c.conname NOT LIKE 'panko10_%%'"
    ).all()
    for name, table in rows:
        conn.exec_driver_sql(
            'ALTER TABLE %s RENAME CONSTRAINT "%s" TO '
            '"panko10_%s"' % (table, name, name)
        )


def _to_datetime(value) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value)
    seconds = decimal.Decimal(value)
    whole = int(seconds)
    micro = int(round((seconds - whole) * 1000000))
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(
        seconds=whole, microseconds=micro
    )


def _old(conn: sa.engine.Connection, name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), autoload_with=conn)


def convert(conn: sa.engine.Connection, partition_interval: str) -> None:
    """Copy every Panko 10 event into the new tables, then drop the old."""
    old_event = _old(conn, "panko10_event")
    old_type = _old(conn, "panko10_event_type")
    trait_tables = [(_old(conn, name), dtype) for name, dtype in TRAIT_TABLES]
    dialect = conn.dialect.name
    # Writers wait until the conversion commits: message_ids are kept
    # unique by looking them up under this lock (see writer.py).
    writer.lock_position(conn)
    total = conn.execute(
        sa.select(sa.func.count()).select_from(old_event)
    ).scalar()
    done_up_to = (
        conn.execute(sa.select(sa.func.max(tables.event.c.position))).scalar()
        or 0
    )
    copied = conn.execute(
        sa.select(sa.func.count()).select_from(tables.event)
    ).scalar()
    LOG.info("Converting %d Panko 10 events (%d already done)", total, copied)
    type_names = dict(
        conn.execute(sa.select(old_type.c.id, old_type.c.desc)).all()
    )
    partition_set = None
    if dialect == "postgresql":
        partition_set = partitions.PartitionSet(partition_interval)
    known_trait_types: set = set()
    while True:
        rows = conn.execute(
            sa.select(
                old_event.c.id,
                old_event.c.message_id,
                old_event.c.generated,
                old_event.c.raw,
                old_event.c.event_type_id,
            )
            .where(old_event.c.id > done_up_to)
            .order_by(old_event.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        ids = [row.id for row in rows]
        traits = _traits_of(conn, trait_tables, ids)
        events = []
        for row in rows:
            events.append(
                (
                    row.id,
                    models.Event(
                        message_id=row.message_id,
                        event_type=type_names.get(
                            row.event_type_id, "unknown"
                        ),
                        generated=_to_datetime(row.generated),
                        traits=traits.get(row.id, []),
                        raw=row.raw,
                    ),
                )
            )
        if partition_set is not None:
            partition_set.ensure_on(conn, {e.generated for _, e in events})
        known_trait_types |= _copy(conn, dialect, events, known_trait_types)
        done_up_to = ids[-1]
        copied += len(rows)
        LOG.info("Converted %d of %d Panko 10 events", copied, total)
    writer.set_position(conn, done_up_to)
    for table in (
        "trait_text",
        "trait_int",
        "trait_float",
        "trait_datetime",
        "event",
        "event_type",
    ):
        conn.exec_driver_sql("DROP TABLE panko10_%s" % table)
    LOG.info("Panko 10 conversion done: %d events", copied)


def _traits_of(conn, trait_tables, ids) -> dict[int, list[models.Trait]]:
    traits: dict[int, list[models.Trait]] = {}
    for table, dtype in trait_tables:
        value_column = table.c.value
        if dtype == models.FLOAT_TYPE:
            # Reflected MySQL DOUBLE reads as a 10-digit Decimal otherwise.
            value_column = sa.type_coerce(value_column, sa.Float())
        for event_id, key, value in conn.execute(
            sa.select(table.c.event_id, table.c.key, value_column).where(
                table.c.event_id.in_(ids)
            )
        ):
            if value is None:
                continue
            if dtype == models.DATETIME_TYPE:
                value = _to_datetime(value)
            elif dtype == models.FLOAT_TYPE:
                value = float(value)
            elif dtype == models.INT_TYPE:
                value = int(value)
            traits.setdefault(event_id, []).append(
                models.Trait(key, dtype, value)
            )
    return traits


def _copy(conn, dialect, events, known_trait_types) -> set:
    """Insert converted events, keeping their Panko 10 id as position."""
    type_ids = writer.event_type_ids(
        conn, dialect, {event.event_type for _, event in events}
    )
    for _, event in events:
        if event.raw is not None:
            event.raw_json, event.raw = _strict_json(event.raw), None
    writer.insert_events(
        conn,
        dialect,
        [event for _, event in events],
        type_ids,
        [old_id for old_id, _ in events],
    )
    new = {
        (type_ids[e.event_type], t.name, t.dtype)
        for _, e in events
        for t in e.traits
    } - known_trait_types
    if new:
        conn.execute(
            writer.insert_ignore(tables.trait_type, dialect),
            [
                {"event_type_id": a, "name": b, "dtype": c}
                for a, b, c in sorted(new)
            ],
        )
    return new


def _strict_json(text: str) -> bytes:
    """The JSON text Panko 10 wrote, as it is, unless it is not strict
    JSON (the standard library's NaN and Infinity, which Panko 10 let
    through): then rewritten (those as null), since listings copy it into
    their answers."""
    encoded = text.encode("utf-8")
    try:
        orjson.loads(encoded)
    except orjson.JSONDecodeError:
        try:
            return jsonutils.dumps_bytes(jsonutils.loads(encoded))
        except (TypeError, ValueError):
            LOG.warning("A Panko 10 raw notification is not JSON: kept as is")
    return encoded
