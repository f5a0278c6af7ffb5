"""The migrations build exactly the schema ``tables.py`` describes."""

from __future__ import annotations

from alembic import autogenerate
from alembic import migration as alembic_migration
import pytest

from panko.storage.sqlalchemy import migration
from panko.storage.sqlalchemy import tables

# PostgreSQL's event table is partitioned, which SQLAlchemy's metadata
# cannot describe: no primary key (it would have to include the partition
# key), a plain index on position instead, a hash index on message_id,
# listing indexes without message_id (incremental sort supplies it) and a
# GIN index on the traits. Those are checked apart.
PARTITIONED_INDEXES = {
    "ix_event_position": 'btree ("position")',
    "ix_event_generated": "btree (generated)",
    "ix_event_type_generated": "btree (event_type_id, generated)",
    "ix_event_project_generated": "btree (project_id, generated)",
    "ix_event_message_id": "hash (message_id)",
    "ix_event_traits": "gin (traits jsonb_path_ops)",
}


def _normalise(diffs):
    out = set()
    for diff in diffs:
        if isinstance(diff, list):
            out |= _normalise(diff)
            continue
        kind = diff[0]
        if kind in ("add_index", "remove_index"):
            out.add((kind, diff[1].name))
        elif kind in ("add_table", "remove_table"):
            out.add((kind, diff[1].name))
        else:
            out.add((kind,) + tuple(str(x) for x in diff[1:4]))
    return out


@pytest.mark.backends("sqlite", "postgresql", "mysql")
def test_models_match_migrations(storage_conn, backend):
    engine = storage_conn.facade.engine
    with engine.connect() as conn:
        context = alembic_migration.MigrationContext.configure(
            conn, opts={"compare_type": True}
        )
        diffs = _normalise(
            autogenerate.compare_metadata(context, tables.metadata)
        )
    diffs.discard(("remove_table", "alembic_version"))
    if backend == "postgresql":
        diffs = {
            d
            for d in diffs
            if not (
                d[0] in ("add_index", "remove_index")
                and d[1] in PARTITIONED_INDEXES
            )
            # The partition key cannot be left out of a primary key.
            and d[0] != "add_constraint"
        }
        with engine.connect() as conn:
            indexes = dict(
                conn.exec_driver_sql(
                    "SELECT indexname, "
                    "substring(indexdef from ' USING (.*)$') "
                    "FROM pg_indexes WHERE tablename = 'event'"
                ).all()
            )
        assert indexes == PARTITIONED_INDEXES
    assert diffs == set()
    assert not migration.needs_upgrade(engine)
