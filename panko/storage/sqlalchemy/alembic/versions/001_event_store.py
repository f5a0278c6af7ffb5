"""panko's event store: one row per event, traits in a JSON document.

Creates the schema described in ``panko/storage/sqlalchemy/tables.py``.
On a Panko 10 database it first sets the old tables aside, then copies
every event into the new ones (see ``panko10.py``) and drops the old.

Revision ID: 001_event_store
Revises: c3955547bff2
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from panko.storage.sqlalchemy import panko10

revision = "001_event_store"
down_revision = "c3955547bff2"
branch_labels = None
depends_on = None

EXACT = "utf8mb4_nopad_bin"
MYSQL_ARGS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": EXACT,
}


def _name():
    return sa.String(255).with_variant(
        mysql.VARCHAR(255, collation=EXACT), "mysql", "mariadb"
    )


def _long_text():
    return sa.Text().with_variant(
        mysql.LONGTEXT(collation=EXACT), "mysql", "mariadb"
    )


def _raw():
    return sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


def upgrade():
    bind = op.get_bind()
    converting = panko10.set_aside(bind)
    # MySQL commits each DDL statement: after an interrupted conversion,
    # this runs again on the tables it already made.
    existing = set(sa.inspect(bind).get_table_names())
    if "event_type" not in existing:
        op.create_table(
            "event_type",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("name", _name(), nullable=False, unique=True),
            sqlite_autoincrement=True,
            **MYSQL_ARGS,
        )
    if "trait_type" not in existing:
        op.create_table(
            "trait_type",
            sa.Column("event_type_id", sa.Integer, primary_key=True),
            sa.Column("name", _name(), primary_key=True),
            sa.Column("dtype", sa.SmallInteger, primary_key=True),
            **MYSQL_ARGS,
        )
    if "event_position" not in existing:
        op.create_table(
            "event_position",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("last", sa.BigInteger, nullable=False),
            **MYSQL_ARGS,
        )
        op.execute("INSERT INTO event_position (id, last) VALUES (1, 0)")
    if "event" not in existing:
        if bind.dialect.name == "postgresql":
            _create_partitioned_event()
        else:
            _create_event()
    if converting:
        conf = op.get_context().config.attributes.get("panko_conf")
        interval = conf.database.partition_interval if conf else "day"
        panko10.convert(bind, interval)


def _create_event():
    op.create_table(
        "event",
        sa.Column(
            "position", sa.BigInteger, primary_key=True, autoincrement=False
        ),
        sa.Column("message_id", _name(), nullable=False),
        sa.Column("event_type_id", sa.Integer, nullable=False),
        sa.Column(
            "generated",
            sa.DateTime().with_variant(
                mysql.DATETIME(fsp=6), "mysql", "mariadb"
            ),
            nullable=False,
        ),
        sa.Column("project_id", _name(), nullable=True),
        sa.Column("user_id", _name(), nullable=True),
        sa.Column("traits", _long_text(), nullable=False),
        sa.Column("raw", _raw(), nullable=True),
        **MYSQL_ARGS,
    )
    # No incremental sort on MySQL and SQLite: each listing index ends
    # with both sort keys.
    op.create_index(
        "ix_event_message_id", "event", ["message_id"], unique=True
    )
    op.create_index("ix_event_generated", "event", ["generated", "message_id"])
    op.create_index(
        "ix_event_type_generated",
        "event",
        ["event_type_id", "generated", "message_id"],
    )
    op.create_index(
        "ix_event_project_generated",
        "event",
        ["project_id", "generated", "message_id"],
    )


def _create_partitioned_event():
    # Partitions inherit every index below when they are attached (see
    # partitions.py); traits are compressed with lz4 when the server has
    # it. raw arrives compressed already.
    lz4 = (
        op.get_bind()
        .exec_driver_sql(
            "SELECT count(*) FROM pg_settings WHERE name = "
            "'default_toast_compression' AND 'lz4' = ANY(enumvals)"
        )
        .scalar()
    )
    op.execute(
        "CREATE TABLE event ("
        " position BIGINT NOT NULL,"
        " message_id VARCHAR(255) NOT NULL,"
        " event_type_id INTEGER NOT NULL,"
        " generated TIMESTAMP WITHOUT TIME ZONE NOT NULL,"
        " project_id VARCHAR(255),"
        " user_id VARCHAR(255),"
        " traits JSONB%s NOT NULL,"
        " raw BYTEA"
        ") PARTITION BY RANGE (generated)"
        % (" COMPRESSION lz4" if lz4 else "")
    )
    # Compressed, but kept in the row rather than in the TOAST table.
    op.execute(
        "ALTER TABLE event ALTER COLUMN traits SET STORAGE MAIN, "
        "ALTER COLUMN raw SET STORAGE MAIN"
    )
    # Listings are ordered by (generated, message_id): an index range on
    # generated, and an incremental sort of the rare equal times by
    # message_id, so message_id stays out of these indexes.
    op.create_index("ix_event_position", "event", ["position"])
    op.create_index("ix_event_generated", "event", ["generated"])
    op.create_index(
        "ix_event_type_generated", "event", ["event_type_id", "generated"]
    )
    op.create_index(
        "ix_event_project_generated", "event", ["project_id", "generated"]
    )
    # Unique by the writers' look-up under the position lock; a hash
    # index is a third of a B-tree on 36-character ids.
    op.create_index(
        "ix_event_message_id",
        "event",
        ["message_id"],
        postgresql_using="hash",
    )
    op.execute(
        "CREATE INDEX ix_event_traits ON event "
        "USING gin (traits jsonb_path_ops)"
    )
