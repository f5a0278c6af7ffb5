"""Extended statistics on (project_id, user_id) for every partition.

Partitions made from now on get them when they are created (see
``partitions.py``); this gives them to the partitions made before, and
analyzes those so that the planner has them at once: a partition no
longer written to would otherwise wait for autovacuum indefinitely.
Only PostgreSQL partitions ``event``; elsewhere this does nothing.

Revision ID: 002_partition_statistics
Revises: 001_event_store
"""

from alembic import op
import sqlalchemy as sa

from panko.storage.sqlalchemy import partitions

revision = "002_partition_statistics"
down_revision = "001_event_store"
branch_labels = None
depends_on = None

_HAS_STATISTICS = sa.text(
    "SELECT count(*) FROM pg_statistic_ext "
    "WHERE stxname = :name AND stxnamespace = "
    "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    attached, _ = partitions.list_partitions(bind)
    for partition in attached:
        name = partitions.statistics_name(partition.name)
        if bind.execute(_HAS_STATISTICS, {"name": name}).scalar():
            continue
        partitions.create_statistics(bind, partition.name)
        # Only the two columns: the statistics object is built from them,
        # and the traits' statistics are left as autovacuum made them.
        bind.exec_driver_sql(
            "ANALYZE %s (project_id, user_id)" % partition.name
        )
