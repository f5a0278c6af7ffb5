"""Counts of events, grouped or not, as SQL.

A count reads only the columns it groups by, which every listing index
holds (``event_type_id``, ``project_id``, ``generated``): the filters a
listing answers from an index range are counted from the same range,
without reading the rows (an index-only scan on PostgreSQL, a covering
index on MariaDB). The project scope of an admin without all_tenants is
two branches, as for listings, counted apart and added.

When one of the tables of counts kept ahead of time can answer
(``tallies.py``), the statement adds up its rows for the whole hours or
days the filter covers and counts the rest of the events as above.

Time buckets are whole multiples of their length since 1970 (UTC), the
bucket holding a time being the one that starts at or before it (also
before 1970), computed on each backend so that the answer does not
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
_MYSQL_STARTS = {"hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d 00:00:00"}


def bucket_start(column, bucket: str, dialect: str):
    """The start of the ``bucket`` ("hour" or "day") holding each time of
    ``column``, as a timestamp."""
    if dialect == "postgresql":
        return sa.func.date_trunc(bucket, column)
    if dialect == "mysql":
        text = sa.func.date_format(column, _MYSQL_STARTS[bucket])
        return sa.cast(text, tables.timestamp_type())
    text = sa.func.strftime(_MYSQL_STARTS[bucket], column)
    return sa.type_coerce(text, sa.DateTime())


def bucket_number(column, grouping: models.Grouping, dialect: str):
    """The number of the time bucket of ``column``, since 1970."""
    seconds = grouping.bucket_seconds
    if dialect == "postgresql":
        epoch = sa.extract("epoch", column)
        return sa.cast(sa.func.floor(epoch / seconds), sa.BigInteger)
    # From the bucket's start, a whole number of buckets from 1970: the
    # division is exact, which truncating SQL arithmetic needs.
    start = bucket_start(column, grouping.bucket, dialect)
    if dialect == "mysql":
        return sa.func.timestampdiff(
            sa.literal_column(_MYSQL_UNITS[grouping.bucket]),
            sa.literal(EPOCH),
            start,
        )
    epoch = sa.cast(sa.func.strftime("%s", start), sa.Integer)
    return sa.cast(epoch / seconds, sa.Integer)


def key_columns(columns: dict, grouping: models.Grouping, dialect: str):
    """The group keys of ``grouping``, labelled by their names, out of
    ``columns`` (an ``event_type`` id, a ``project_id``, a ``generated``
    time)."""
    labelled = []
    for key in grouping.keys:
        if key == "generated":
            column = bucket_number(columns[key], grouping, dialect)
        else:
            column = columns[key]
        labelled.append(column.label(key))
    return labelled


EVENT_COLUMNS = {
    "event_type": E.c.event_type_id,
    "project_id": E.c.project_id,
    "generated": E.c.generated,
}


def event_parts(
    event_filter: models.EventFilter,
    grouping: models.Grouping,
    dialect: str,
    extra: tuple = (),
) -> list[sa.Select]:
    """SELECTs of (group keys..., ``count``) counting the events that
    match ``event_filter`` and the ``extra`` conditions, one per branch of
    the project scope."""
    where = query.conditions(event_filter, dialect) + list(extra)
    columns = key_columns(EVENT_COLUMNS, grouping, dialect)
    parts = []
    for branch in query.scope_branches(event_filter):
        part = (
            sa.select(*columns, sa.func.count().label("count"))
            .select_from(E)
            .where(*where, *branch)
        )
        parts.append(part.group_by(*columns) if columns else part)
    return parts


def statement(
    event_filter: models.EventFilter,
    grouping: models.Grouping,
    limit: int | None,
    dialect: str,
    parts: list[sa.Select] | None = None,
):
    """The SELECT answering ``count_events``: one ``count`` column, after
    one column per group key (named after it). ``parts`` (by default
    those of :func:`event_parts`) are added up."""
    if parts is None:
        parts = event_parts(event_filter, grouping, dialect)
    if len(parts) == 1:
        if not grouping.keys:
            return parts[0]
        grouped = parts[0].subquery()
    else:
        rows = sa.union_all(*parts).subquery()
        total = sa.func.sum(rows.c["count"])
        if not grouping.keys:
            return sa.select(sa.func.coalesce(total, 0).label("count"))
        keys = [rows.c[k] for k in grouping.keys]
        grouped = (
            sa.select(*keys, total.label("count")).group_by(*keys).subquery()
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
    return models.Group(tuple(values), int(row._mapping["count"]))
