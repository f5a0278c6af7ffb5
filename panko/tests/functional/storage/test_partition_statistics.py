"""Every PostgreSQL partition has statistics on (project_id, user_id):
made with it by a writer, added by migration 002 to older ones, and
dropped with it on expiry."""

from __future__ import annotations

import datetime

from alembic import command
from oslo_utils import timeutils
import pytest
import sqlalchemy as sa

from panko.storage.sqlalchemy import migration
from panko.storage.sqlalchemy import partitions
from panko.tests import backends
from panko.tests import eventgen

# Each statistics object of the schema, the table it is on and whether
# ANALYZE has built its dependencies.
_STATISTICS = """
SELECT s.stxname, c.relname, d.stxddependencies IS NOT NULL
FROM pg_statistic_ext s
JOIN pg_class c ON c.oid = s.stxrelid
LEFT JOIN pg_statistic_ext_data d ON d.stxoid = s.oid
WHERE s.stxnamespace = (
    SELECT oid FROM pg_namespace WHERE nspname = current_schema()
)
"""


def _statistics(conn) -> dict[str, tuple[str, bool]]:
    return {
        name: (table, built)
        for name, table, built in conn.exec_driver_sql(_STATISTICS)
    }


def _kinds(conn, name: str) -> list[str]:
    return conn.exec_driver_sql(
        "SELECT stxkind::text[] FROM pg_statistic_ext WHERE stxname = %s",
        (name,),
    ).scalar()


@pytest.mark.backends("postgresql")
def test_a_writer_makes_each_partition_with_its_statistics(storage_conn):
    days = [_ago(days=10), _ago(days=1)]
    storage_conn.record_events([eventgen.event(generated=day) for day in days])
    with storage_conn.facade.reader() as conn:
        attached, _ = partitions.list_partitions(conn)
        found = _statistics(conn)
        kinds = _kinds(conn, partitions.statistics_name(attached[0].name))
    assert len(attached) == 2
    assert found == {
        partitions.statistics_name(p.name): (p.name, False) for p in attached
    }
    assert kinds == ["f"]

    storage_conn.clear_expired_data(ttl=3 * 86400)

    with storage_conn.facade.reader() as conn:
        found = _statistics(conn)
    assert found == {
        partitions.statistics_name(attached[1].name): (attached[1].name, False)
    }


def _ago(**delta):
    return timeutils.utcnow() - datetime.timedelta(**delta)


@pytest.fixture
def empty_postgresql(backend):
    """A database of its own: the upgrade starts from revision 001."""
    server = backends.SQLServer("postgresql")
    url = server.create_database("ps_stats_test")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()
    server.drop_database(url)
    server.close()


@pytest.mark.backends("postgresql")
def test_upgrade_gives_older_partitions_their_statistics(
    conf, empty_postgresql
):
    engine = empty_postgresql
    with engine.connect() as conn:
        command.upgrade(migration._config(conn, conf), "001_event_store")
        conn.commit()
    with engine.begin() as conn:
        # A partition as 001's writers made it: no statistics object.
        name = partitions.create_partition(
            conn, datetime.datetime(2026, 1, 1), datetime.datetime(2026, 1, 2)
        )
        conn.exec_driver_sql(
            "DROP STATISTICS %s" % partitions.statistics_name(name)
        )
        conn.exec_driver_sql(
            "INSERT INTO event (position, message_id, event_type_id, "
            "generated, project_id, user_id, traits) "
            "SELECT i, 'm' || i, 1, '2026-01-01'::timestamp "
            "+ i * interval '1 second', 'p' || i %% 3, 'u' || i %% 9, '{}' "
            "FROM generate_series(1, 300) i"
        )
        assert _statistics(conn) == {}

    migration.upgrade(engine, conf)

    with engine.connect() as conn:
        assert _statistics(conn) == {
            partitions.statistics_name(name): (name, True)
        }
        assert migration.current_revision(conn) == migration.head_revision()
