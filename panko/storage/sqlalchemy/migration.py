"""Creating and upgrading the SQL schema with alembic.

Alembic is the only road to the schema: an empty database is brought to
the head revision by running every migration, a Panko 10.0.0 database
(which Panko 10 created without stamping any revision) is stamped with
Panko 10's last revision, ``c3955547bff2``, and upgraded from there.
"""

from __future__ import annotations

import os

from alembic import command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script
from oslo_config import cfg
from oslo_log import log
import sqlalchemy as sa

LOG = log.getLogger(__name__)

PANKO10_REVISION = "c3955547bff2"
# Tables only Panko 10's schema has.
PANKO10_TABLES = {"trait_text", "trait_int", "trait_float", "trait_datetime"}


def _config(
    conn: sa.engine.Connection, conf: cfg.ConfigOpts | None
) -> alembic_config.Config:
    config = alembic_config.Config()
    config.set_main_option(
        "script_location",
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "alembic"),
    )
    config.attributes["connection"] = conn
    config.attributes["panko_conf"] = conf
    return config


def head_revision() -> str:
    script = alembic_script.ScriptDirectory.from_config(_config(None, None))
    return script.get_current_head()


def current_revision(conn: sa.engine.Connection) -> str | None:
    return alembic_migration.MigrationContext.configure(
        conn
    ).get_current_revision()


def is_panko10(conn: sa.engine.Connection) -> bool:
    """True for a database Panko 10 created and never stamped."""
    tables = set(sa.inspect(conn).get_table_names())
    return "alembic_version" not in tables and PANKO10_TABLES <= tables


def needs_upgrade(engine: sa.engine.Engine) -> bool:
    with engine.connect() as conn:
        return current_revision(conn) != head_revision()


def upgrade(engine: sa.engine.Engine, conf: cfg.ConfigOpts) -> None:
    """Create the schema or bring it to the head revision."""
    with engine.connect() as conn:
        if is_panko10(conn):
            LOG.info(
                "Found a Panko 10 database: converting it, keeping every event"
            )
            command.stamp(_config(conn, conf), PANKO10_REVISION)
            conn.commit()
        before = current_revision(conn)
        command.upgrade(_config(conn, conf), "head")
        conn.commit()
        after = current_revision(conn)
    if before != after:
        LOG.info(
            "Database schema upgraded from %s to %s",
            before or "nothing",
            after,
        )


def drop_everything(engine: sa.engine.Engine) -> None:
    """Drop every table of the database (tests and ``clear()``)."""
    with engine.begin() as conn:
        metadata = sa.MetaData()
        metadata.reflect(conn)
        if conn.dialect.name == "postgresql":
            for table in metadata.sorted_tables:
                conn.exec_driver_sql(
                    'DROP TABLE IF EXISTS "%s" CASCADE' % table.name
                )
        else:
            metadata.drop_all(conn)
