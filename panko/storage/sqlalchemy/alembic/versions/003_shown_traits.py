"""The traits as the API serves them, beside the raw notification.

The ``raw`` column now holds the traits' JSON, a newline and the
notification's JSON, compressed together (``codec.encode_shown``); rows
written before hold the notification alone. They are rewritten here, in
batches in position order. A row already in the new form is left as it
is: compact JSON never holds a raw newline, so the newline that parts
the two texts tells them apart, and a publisher of this version may have
written some rows before ``panko-dbsync`` ran.

Revision ID: 003_shown_traits
Revises: 002_partition_statistics
"""

from alembic import op
import sqlalchemy as sa

from panko.storage import models
from panko.storage.sqlalchemy import codec
from panko.storage.sqlalchemy import tables

revision = "003_shown_traits"
down_revision = "002_partition_statistics"
branch_labels = None
depends_on = None

BATCH = 1000
E = tables.event


def upgrade():
    bind = op.get_bind()
    # generated too: on PostgreSQL it picks the partition of each row.
    rewrite = (
        E.update()
        .where(E.c.position == sa.bindparam("p"))
        .where(E.c.generated == sa.bindparam("g"))
        .values(raw=sa.bindparam("r"))
    )
    last = None
    while True:
        stmt = sa.select(
            E.c.position,
            E.c.generated,
            E.c.project_id,
            E.c.user_id,
            E.c.traits,
            E.c.raw,
        ).order_by(E.c.position)
        if last is not None:
            stmt = stmt.where(E.c.position > last)
        rows = bind.execute(stmt.limit(BATCH)).all()
        if not rows:
            return
        updates = [
            {"p": row.position, "g": row.generated, "r": shown}
            for row in rows
            if (shown := _shown(row)) is not None
        ]
        if updates:
            bind.execute(rewrite, updates)
        last = rows[-1].position


def _shown(row) -> bytes | None:
    """The new ``raw`` of a row written before, None for one already
    in the new form."""
    text = b"" if row.raw is None else codec.decompress(row.raw)
    if b"\n" in text:
        return None
    event = models.Event(
        "",
        "",
        row.generated,
        codec.decode_traits(row.traits, row.project_id, row.user_id),
    )
    event.raw_json = text or None
    return codec.encode_shown(event)
