"""The SQL schema, as SQLAlchemy Core tables.

One row per event. Upstream Panko kept one row per trait in four tables
indexed only by ``(event_id, key)``, so every trait filter and every
non-admin listing scanned. Here:

* the traits of an event are one JSON document in its row, grouped by type
  (``{"1": {"host": "node-1"}, "2": {"vcpus": 2}}``), so a batch of events
  is one statement, whatever the number of traits;
* the ``project_id`` and ``user_id`` text traits, which decide who may see
  an event, are kept in their own columns (and not in the document), and
  indexed together with the sort order, so a project's newest events are
  an index range;
* listings are ordered by ``(generated, message_id)`` and every index that
  serves a listing starts with its filter column and ``generated``, so a
  page after a marker is an index range however deep it is;
* ``position`` is assigned in commit order under a lock on the
  ``event_position`` row: a poller reading "after position P" never misses
  an event committed later with a smaller position. Writers look up the
  message_ids of a batch under that lock, which keeps them unique;
* the traits as the API serves them and the raw notification are stored
  together, compressed, in the ``raw`` column (``codec.py``): a
  listing copies them into its answer.

These tables are what MySQL and SQLite get: there, each listing index
also ends with ``message_id``, since neither can sort the rare equal
times by message_id after an index range. On PostgreSQL ``event`` is
partitioned by ``generated`` (see ``partitions.py``) and made by
migration 001: no primary key (it would have to hold the partition
key), an index on ``position``, listing indexes without ``message_id``
(an incremental sort orders equal times), a hash index on
``message_id`` (a third of a B-tree's size; uniqueness comes from the
writers' look-up), the traits document as JSONB with a GIN index for
equality filters on any trait, and lz4 for the document.
``doc/source/admin/performance.rst`` gives the sizes and measurements
behind each choice.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql

NAME_LENGTH = 255

# MariaDB compares with PAD SPACE and case-insensitively by default: 'abc'
# would equal 'ABC ' there. Identifiers that decide visibility must match
# exactly, as they do on PostgreSQL and SQLite.
MYSQL_EXACT = "utf8mb4_nopad_bin"

metadata = sa.MetaData()


def name_type() -> sa.types.TypeEngine:
    return sa.String(NAME_LENGTH).with_variant(
        mysql.VARCHAR(NAME_LENGTH, collation=MYSQL_EXACT), "mysql", "mariadb"
    )


def long_text_type() -> sa.types.TypeEngine:
    return sa.Text().with_variant(
        mysql.LONGTEXT(collation=MYSQL_EXACT), "mysql", "mariadb"
    )


def timestamp_type() -> sa.types.TypeEngine:
    return sa.DateTime().with_variant(
        mysql.DATETIME(fsp=6), "mysql", "mariadb"
    )


def raw_type() -> sa.types.TypeEngine:
    """Compressed JSON texts (see ``codec.encode_shown``)."""
    return sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


def traits_type() -> sa.types.TypeEngine:
    """JSON text (see ``codec.py``), JSONB on PostgreSQL."""
    return long_text_type().with_variant(postgresql.JSONB(), "postgresql")


MYSQL_TABLE_ARGS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": MYSQL_EXACT,
}

event_type = sa.Table(
    "event_type",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", name_type(), nullable=False, unique=True),
    **MYSQL_TABLE_ARGS,
)

trait_type = sa.Table(
    "trait_type",
    metadata,
    sa.Column("event_type_id", sa.Integer, primary_key=True),
    sa.Column("name", name_type(), primary_key=True),
    sa.Column("dtype", sa.SmallInteger, primary_key=True),
    **MYSQL_TABLE_ARGS,
)

event = sa.Table(
    "event",
    metadata,
    sa.Column(
        "position", sa.BigInteger, primary_key=True, autoincrement=False
    ),
    sa.Column("message_id", name_type(), nullable=False),
    sa.Column("event_type_id", sa.Integer, nullable=False),
    sa.Column("generated", timestamp_type(), nullable=False),
    sa.Column("project_id", name_type(), nullable=True),
    sa.Column("user_id", name_type(), nullable=True),
    sa.Column("traits", traits_type(), nullable=False),
    sa.Column("raw", raw_type(), nullable=True),
    sa.Index("ix_event_message_id", "message_id", unique=True),
    sa.Index("ix_event_generated", "generated", "message_id"),
    sa.Index(
        "ix_event_type_generated", "event_type_id", "generated", "message_id"
    ),
    sa.Index(
        "ix_event_project_generated", "project_id", "generated", "message_id"
    ),
    **MYSQL_TABLE_ARGS,
)

# One row, locked by every transaction that stores events: it hands out
# positions in commit order and serialises writers, so they never
# deadlock with each other.
event_position = sa.Table(
    "event_position",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last", sa.BigInteger, nullable=False),
    **MYSQL_TABLE_ARGS,
)
POSITION_ROW = 1

# Counts kept ahead of time (see ``tallies.py``): how many events each
# hour and event type has, and each day and project, among the events of
# position up to ``count_state.folded`` generated at ``since`` or later.
count_by_type_hour = sa.Table(
    "count_by_type_hour",
    metadata,
    sa.Column("hour", timestamp_type(), primary_key=True),
    sa.Column("event_type_id", sa.Integer, primary_key=True),
    sa.Column("events", sa.BigInteger, nullable=False),
    **MYSQL_TABLE_ARGS,
)

count_by_project_day = sa.Table(
    "count_by_project_day",
    metadata,
    # A surrogate key: project_id may be NULL, and Galera wants a
    # primary key on every table.
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("day", timestamp_type(), nullable=False),
    sa.Column("project_id", name_type(), nullable=True),
    sa.Column("events", sa.BigInteger, nullable=False),
    sa.Index("ix_count_by_project_day", "project_id", "day"),
    sa.Index("ix_count_by_project_day_day", "day"),
    **MYSQL_TABLE_ARGS,
)

# One row: the position up to which events are counted in the two
# tables above, and the start of the time they cover.
count_state = sa.Table(
    "count_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("folded", sa.BigInteger, nullable=False),
    sa.Column("since", timestamp_type(), nullable=False),
    **MYSQL_TABLE_ARGS,
)
COUNT_STATE_ROW = 1
