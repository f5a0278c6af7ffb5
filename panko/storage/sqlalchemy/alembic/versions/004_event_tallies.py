"""Counts kept ahead of time, by hour and event type, by day and project.

Creates the tables ``panko/storage/sqlalchemy/tallies.py`` keeps. They
start empty, with nothing folded: the events already stored are folded
into them by ``panko-dbsync`` right after the upgrade (and, until then,
counted from the event table as before).

Revision ID: 004_event_tallies
Revises: 003_shown_traits
"""

import datetime

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = "004_event_tallies"
down_revision = "003_shown_traits"
branch_labels = None
depends_on = None

EXACT = "utf8mb4_nopad_bin"
MYSQL_ARGS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": EXACT,
}
# Before any event a database can hold on every backend.
EARLIEST = datetime.datetime(1000, 1, 1)


def _timestamp():
    return sa.DateTime().with_variant(
        mysql.DATETIME(fsp=6), "mysql", "mariadb"
    )


def _name():
    return sa.String(255).with_variant(
        mysql.VARCHAR(255, collation=EXACT), "mysql", "mariadb"
    )


def upgrade():
    op.create_table(
        "count_by_type_hour",
        sa.Column("hour", _timestamp(), primary_key=True),
        sa.Column("event_type_id", sa.Integer, primary_key=True),
        sa.Column("events", sa.BigInteger, nullable=False),
        **MYSQL_ARGS,
    )
    op.create_table(
        "count_by_project_day",
        sa.Column(
            "id",
            # SQLite numbers rows only for an INTEGER PRIMARY KEY.
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("day", _timestamp(), nullable=False),
        sa.Column("project_id", _name(), nullable=True),
        sa.Column("events", sa.BigInteger, nullable=False),
        **MYSQL_ARGS,
    )
    op.create_index(
        "ix_count_by_project_day",
        "count_by_project_day",
        ["project_id", "day"],
    )
    op.create_index(
        "ix_count_by_project_day_day", "count_by_project_day", ["day"]
    )
    state = op.create_table(
        "count_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("folded", sa.BigInteger, nullable=False),
        sa.Column("since", _timestamp(), nullable=False),
        **MYSQL_ARGS,
    )
    op.bulk_insert(state, [{"id": 1, "folded": 0, "since": EARLIEST}])
