"""Checked event filters turned into SQL.

Every condition is a bound parameter; trait names reach the SQL only as
parameters too (inside JSON paths). The project scope of an admin without
``all_tenants`` (their project, or no project) is a UNION ALL of two
ordered index ranges rather than an OR, so that it stays an index range.
"""

from __future__ import annotations

import json
import operator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql

from panko.storage import models
from panko.storage.sqlalchemy import codec
from panko.storage.sqlalchemy import tables

E = tables.event

_COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}

# Text traits kept in columns instead of the document, because they
# decide who may see an event: filters on them are answered from there.
COLUMN_TRAITS = {
    models.PROJECT_TRAIT: E.c.project_id,
    models.USER_TRAIT: E.c.user_id,
}


def in_column(tf: models.TraitFilter) -> bool:
    """True for a condition on a trait kept in a column."""
    return tf.dtype == models.TEXT_TYPE and tf.name in COLUMN_TRAITS


_SORT_COLUMNS = {
    "generated": E.c.generated,
    "message_id": E.c.message_id,
    "position": E.c.position,
}


def event_type_id(name: str) -> sa.ScalarSelect:
    return (
        sa.select(tables.event_type.c.id)
        .where(tables.event_type.c.name == name)
        .scalar_subquery()
    )


def conditions(event_filter: models.EventFilter, dialect: str) -> list:
    """The WHERE conditions of a filter, without its project scope."""
    where = []
    if event_filter.start_timestamp is not None:
        where.append(E.c.generated >= event_filter.start_timestamp)
    if event_filter.end_timestamp is not None:
        where.append(E.c.generated <= event_filter.end_timestamp)
    if event_filter.event_type is not None:
        where.append(
            E.c.event_type_id == event_type_id(event_filter.event_type)
        )
    if event_filter.message_id is not None:
        where.append(E.c.message_id == event_filter.message_id)
    if event_filter.after_position is not None:
        where.append(E.c.position > event_filter.after_position)
    for trait_filter in event_filter.traits:
        where.append(trait_condition(trait_filter, dialect))
    return where


def trait_condition(tf: models.TraitFilter, dialect: str):
    """Events having trait ``tf.name`` of type ``tf.dtype`` whose value
    compares to ``tf.value`` as ``tf.op`` says. Like Panko 10, ``ne``
    only matches events that have the trait."""
    compare = _COMPARE[tf.op]
    value = tf.value
    if tf.dtype == models.DATETIME_TYPE:
        value = codec.encode_datetime(value)
    if in_column(tf):
        column = COLUMN_TRAITS[tf.name]
        if tf.op in ("eq", "ne"):
            # Equality is exact under every deterministic collation, and
            # a COLLATE clause would keep PostgreSQL off the column's
            # index when the database's collation is not "C".
            return compare(column, value)
        return compare(_exact(column, dialect), value)
    if dialect == "postgresql" and tf.op == "eq":
        # Answered by the GIN index on the traits document.
        document = {str(tf.dtype): {tf.name: value}}
        return _jsonb(E.c.traits).contains(document)
    if dialect == "sqlite":
        # SQLite's JSON paths cannot quote every name: look the trait up
        # among the document's entries of its type instead.
        entries = sqlite_entries(tf.dtype)
        return sa.exists().where(
            entries.c.key == tf.name, compare(entries.c.value, value)
        )
    extracted = _extract(tf.name, tf.dtype, dialect)
    if tf.dtype in (models.TEXT_TYPE, models.DATETIME_TYPE):
        extracted = _exact(extracted, dialect)
    return compare(extracted, value)


def sqlite_entries(dtype: int):
    """The (key, value) entries of the document's ``dtype`` group."""
    return sa.func.json_each(E.c.traits, '$."%d"' % dtype).table_valued(
        "key", "value"
    )


def _jsonb(column):
    return sa.type_coerce(column, postgresql.JSONB)


def _exact(expression, dialect: str):
    """Compare text by code point on every backend."""
    if dialect == "postgresql":
        return expression.collate("C")
    if dialect == "mysql":
        return expression.collate(tables.MYSQL_EXACT)
    return expression


def json_path(name: str, dtype: int) -> str:
    """The MySQL JSON path of a trait inside the document, its name quoted
    and escaped as a JSON string."""
    return '$."%d".%s' % (dtype, json.dumps(name, ensure_ascii=False))


def _extract(name: str, dtype: int, dialect: str):
    """The trait's value read out of the document, typed as SQL
    (PostgreSQL and MySQL)."""
    if dialect == "postgresql":
        text = _jsonb(E.c.traits)[str(dtype)][name].astext
        if dtype == models.INT_TYPE:
            return sa.cast(text, sa.BigInteger)
        if dtype == models.FLOAT_TYPE:
            return sa.cast(text, sa.Float(53))
        return text
    text = sa.func.json_value(E.c.traits, json_path(name, dtype))
    if dtype == models.INT_TYPE:
        return sa.cast(text, sa.BigInteger)
    if dtype == models.FLOAT_TYPE:
        return sa.cast(text, mysql.DOUBLE())
    return text


def scope_branches(event_filter: models.EventFilter) -> list[list]:
    """One list of conditions per branch of the project scope; the rows
    of all branches together are the events the caller may see."""
    if event_filter.project is not None:
        branch = [E.c.project_id == event_filter.project]
        if event_filter.user is not None:
            branch.append(E.c.user_id == event_filter.user)
        return [branch]
    if event_filter.admin_project is not None:
        return [
            [E.c.project_id == event_filter.admin_project],
            [E.c.project_id.is_(None)],
        ]
    return [[]]


def order_by(sort: tuple[tuple[str, str], ...], columns=None) -> list:
    columns = columns or _SORT_COLUMNS
    return [
        columns[key].desc() if direction == "desc" else columns[key].asc()
        for key, direction in sort
    ]


def literal(value: int):
    """A LIMIT written into the statement's text: a prepared statement
    (``prepared.py``) gets a generic plan only when it knows its limit,
    and a listing's limit takes few values."""
    return sa.literal(value, literal_execute=True)


def event_keys(marker: models.Event) -> dict[str, Any]:
    """The sort keys of a marker event, for :func:`after_marker`."""
    return {
        "generated": marker.generated,
        "message_id": marker.message_id,
        "position": marker.position,
    }


class StoredMarker:
    """A marker whose keys the listing's statement reads itself: the
    event of ``marker_filter`` (its message_id under the listing's
    scope), looked up in a common table expression of the statement
    rather than by a query of its own before it.

    A page after a marker then costs one round trip. When the marker is
    not found, every key is NULL and the listing empty: the driver then
    tells an unknown marker from the end of the listing."""

    def __init__(self, marker_filter: models.EventFilter, dialect: str):
        self.filter = marker_filter
        where = conditions(marker_filter, dialect)
        scope = [sa.and_(*b) for b in scope_branches(marker_filter) if b]
        if scope:
            where.append(sa.or_(*scope))
        found = sa.select(*_SORT_COLUMNS.values()).where(*where).cte("marker")
        self.keys = {
            key: sa.select(found.c[column.name]).scalar_subquery()
            for key, column in _SORT_COLUMNS.items()
        }


def after_marker(
    sort: tuple[tuple[str, str], ...],
    keys: dict[str, Any],
    columns=None,
    inclusive: bool = False,
):
    """Rows strictly after the marker whose sort ``keys`` are given, in
    the order ``sort`` (or from the marker on, when ``inclusive``).

    Written as ``k1 >= m1 AND (k1 > m1 OR (k1 = m1 AND k2 > m2))`` so that
    the first key bounds an index range on every backend.
    """
    columns = columns or _SORT_COLUMNS
    disjuncts = []
    equal_so_far: list[Any] = []
    last = len(sort) - 1
    for index, (key, direction) in enumerate(sort):
        column, value = columns[key], keys[key]
        closed = inclusive and index == last
        if direction == "desc":
            beyond = column <= value if closed else column < value
        else:
            beyond = column >= value if closed else column > value
        disjuncts.append(sa.and_(*equal_so_far, beyond))
        equal_so_far.append(column == value)
    first_key, first_dir = sort[0]
    first = columns[first_key]
    first_value = keys[first_key]
    bound = (
        first <= first_value if first_dir == "desc" else first >= first_value
    )
    return sa.and_(bound, sa.or_(*disjuncts))
