"""The migrations build exactly the schema ``tables.py`` describes."""

from __future__ import annotations

from alembic import autogenerate
from alembic import migration as alembic_migration
import pytest

from panko.storage.sqlalchemy import migration
from panko.storage.sqlalchemy import tables

# PostgreSQL's event table is partitioned, which SQLAlchemy's metadata
# cannot describe: no primary key (it would have to include the partition
# key), a plain index on position instead, and a GIN index on the traits.
PARTITIONED_DIFFERENCES = {
    ("remove_index", "ix_event_traits"),
    ("remove_index", "ix_event_position"),
    ("add_index", "ix_event_message_id"),
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
        diffs -= PARTITIONED_DIFFERENCES
        # The partition key cannot be left out of a primary key.
        diffs = {d for d in diffs if d[0] != "add_constraint"}
    assert diffs == set()
    assert not migration.needs_upgrade(engine)
