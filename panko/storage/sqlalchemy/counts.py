"""Counts of events, grouped or not, as SQL.

A count reads only the columns it groups by, which every listing index
holds (``event_type_id``, ``project_id``, ``generated``): the filters a
listing answers from an index range are counted from the same range,
without reading the rows (an index-only scan on PostgreSQL, a covering
index on MariaDB). The project scope of an admin without all_tenants is
two branches, as for listings: counted apart and added, or grouped
together after a UNION ALL.

Time buckets are whole multiples of their length since 1970 (UTC),
computed as an integer on each backend so that the answer does not
depend on a session time zone.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa

from panko.storage import models
from panko.storage.sqlalchemy import query
from panko.storage.sqlalchemy import tables

E = tables.event
EPOCH = datetime.datetime(1970, 1, 1)

_MYSQL_UNITS = {"hour": "HOUR", "day": "DAY"}


def bucket_number(grouping: models.Grouping, dialect: str):
    """The number of the time bucket of ``generated``, since 1970."""
    seconds = grouping.bucket_seconds
    if dialect == "postgresql":
        epoch = sa.extract("epoch", E.c.generated)
        return sa.cast(sa.func.floor(epoch / seconds), sa.BigInteger)
    if dialect == "mysql":
        return sa.func.timestampdiff(
            sa.literal_column(_MYSQL_UNITS[grouping.bucket]),
            sa.literal(EPOCH),
            E.c.generated,
        )
    # Integer division, on SQLite as in Python.
    epoch = sa.cast(sa.func.strftime("%s", E.c.generated), sa.Integer)
    return epoch // seconds


def _group_column(key: str, grouping: models.Grouping, dialect: str):
    if key == "event_type":
        return E.c.event_type_id.label(key)
    if key == "project_id":
        return E.c.project_id.label(key)
    return bucket_number(grouping, dialect).label(key)


def statement(
    event_filter: models.EventFilter,
    grouping: models.Grouping,
    limit: int | None,
    dialect: str,
):
    """The SELECT answering ``count_events``: one ``count`` column, after
    one column per group key (named after it)."""
    where = query.conditions(event_filter, dialect)
    branches = query.scope_branches(event_filter)
    if not grouping.keys:
        counts = [
            sa.select(sa.func.count().label("count"))
            .select_from(E)
            .where(*where, *branch)
            for branch in branches
        ]
        if len(counts) == 1:
            return counts[0]
        total = sum(
            (c.scalar_subquery() for c in counts[1:]),
            counts[0].scalar_subquery(),
        )
        return sa.select(total.label("count"))
    columns = [_group_column(k, grouping, dialect) for k in grouping.keys]
    if len(branches) == 1:
        grouped = (
            sa.select(*columns, sa.func.count().label("count"))
            .select_from(E)
            .where(*where, *branches[0])
            .group_by(*columns)
            .subquery()
        )
    else:
        rows = sa.union_all(
            *(sa.select(*columns).where(*where, *b) for b in branches)
        ).subquery()
        grouped = (
            sa.select(*rows.c, sa.func.count().label("count"))
            .group_by(*rows.c)
            .subquery()
        )
    selected, order, source = [], [], grouped
    for key in grouping.keys:
        column = grouped.c[key]
        if key == "event_type":
            types = tables.event_type
            source = source.join(types, types.c.id == column)
            column = types.c.name
            order.append(column)
        else:
            # Rows without a value first, on every backend.
            order.extend([column.is_not(None), column])
        selected.append(column.label(key))
    stmt = (
        sa.select(*selected, grouped.c["count"])
        .select_from(source)
        .order_by(*order)
    )
    return stmt.limit(query.literal(limit)) if limit is not None else stmt


def decode(row, grouping: models.Grouping) -> models.Group:
    """A result row of ``statement`` as a Group."""
    values = []
    for key in grouping.keys:
        value = row._mapping[key]
        if key == "generated":
            value = EPOCH + datetime.timedelta(
                seconds=int(value) * grouping.bucket_seconds
            )
        values.append(value)
    return models.Group(tuple(values), row._mapping["count"])
