"""Checked event filters turned into MongoDB query documents.

Every value reaches the server as the operand of an explicit operator
(``{"$eq": value}``), never as a document the server would interpret, and
field paths are constants of this module: trait names are values inside
the ``traits`` array (see ``documents.py``), not paths. Equal strings are
compared as BSON compares them without a collation, byte by byte in UTF-8,
which is code point order: ``"proj-a"`` never matches ``"PROJ-A"`` or
``"proj-a "``.
"""

from __future__ import annotations

from typing import Any

import bson
import pymongo

from panko.storage import models
from panko.storage.mongodb import documents

_OPERATORS = {
    "eq": "$eq",
    "ne": "$ne",
    "lt": "$lt",
    "le": "$lte",
    "gt": "$gt",
    "ge": "$gte",
}

# Sort keys of the storage contract and the fields that hold them.
FIELDS = {"generated": "time", "message_id": "_id", "position": "position"}


def conditions(event_filter: models.EventFilter) -> list[dict]:
    """The conditions of a filter, without its project scope."""
    where: list[dict] = []
    time: dict[str, Any] = {}
    if event_filter.start_timestamp is not None:
        time["$gte"] = documents.encode_time(event_filter.start_timestamp)
    if event_filter.end_timestamp is not None:
        time["$lte"] = documents.encode_time(event_filter.end_timestamp)
    if time:
        where.append({"time": time})
    if event_filter.event_type is not None:
        where.append({"type": {"$eq": event_filter.event_type}})
    if event_filter.message_id is not None:
        where.append({"_id": {"$eq": event_filter.message_id}})
    if event_filter.after_position is not None:
        where.append(
            {"position": {"$gt": bson.Int64(event_filter.after_position)}}
        )
    for trait_filter in event_filter.traits:
        where.append(trait_condition(trait_filter))
    return where


def trait_condition(tf: models.TraitFilter) -> dict:
    """Events having trait ``tf.name`` of type ``tf.dtype`` whose value
    compares to ``tf.value`` as ``tf.op`` says. As on the SQL drivers,
    ``ne`` only matches events that have the trait: the condition is on
    one element of the array, which must have the name and type."""
    value = documents.encode_value(tf.dtype, tf.value)
    return {
        "traits": {
            "$elemMatch": {
                "n": {"$eq": tf.name},
                "t": {"$eq": tf.dtype},
                "v": {_OPERATORS[tf.op]: value},
            }
        }
    }


def scope(event_filter: models.EventFilter) -> list[dict]:
    """The project scope as conditions.

    The admin scope (their project, or no project) is written as
    ``project_id $in [P, null]`` rather than an ``$or`` of the two: MongoDB
    turns the two points of an ``$in`` on the first field of the
    (project_id, time, _id) index into two ordered index ranges merged by
    a SORT_MERGE, and SecantusDB only uses an index for the ``$in`` form.
    ``null`` matches documents whose project_id is null or missing.
    """
    if event_filter.project is not None:
        where = [{"project_id": {"$eq": event_filter.project}}]
        if event_filter.user is not None:
            where.append({"user_id": {"$eq": event_filter.user}})
        return where
    if event_filter.admin_project is not None:
        return [{"project_id": {"$in": [event_filter.admin_project, None]}}]
    return []


def after_marker(
    sort: tuple[tuple[str, str], ...],
    marker: models.Event,
    inclusive: bool = False,
) -> dict:
    """Documents strictly after ``marker`` in the order ``sort`` (or from
    ``marker`` on, when ``inclusive``).

    Written as ``k1 >= m1 AND (k1 > m1 OR (k1 = m1 AND k2 > m2))`` so that
    the first key bounds the index range however deep the page is.
    """
    values = {
        "time": documents.encode_time(marker.generated),
        "_id": marker.message_id,
        "position": marker.position,
    }
    disjuncts = []
    equal_so_far: dict[str, Any] = {}
    last = len(sort) - 1
    for index, (key, direction) in enumerate(sort):
        field = FIELDS[key]
        beyond = "$lt" if direction == "desc" else "$gt"
        if inclusive and index == last:
            beyond += "e"
        disjuncts.append({**equal_so_far, field: {beyond: values[field]}})
        equal_so_far[field] = {"$eq": values[field]}
    first_key, first_dir = sort[0]
    first = FIELDS[first_key]
    bound = "$lte" if first_dir == "desc" else "$gte"
    return {"$and": [{first: {bound: values[first]}}, {"$or": disjuncts}]}


def order(sort: tuple[tuple[str, str], ...]) -> list[tuple[str, int]]:
    return [
        (
            FIELDS[key],
            pymongo.DESCENDING if direction == "desc" else pymongo.ASCENDING,
        )
        for key, direction in sort
    ]


def combine(where: list[dict]) -> dict:
    """One query document holding every condition."""
    if not where:
        return {}
    if len(where) == 1:
        return where[0]
    return {"$and": where}


_GROUP_FIELDS = {"event_type": "$type", "project_id": "$project_id"}


def count_pipeline(
    spec: dict, grouping: models.Grouping, limit: int | None
) -> list[dict]:
    """The aggregation answering ``count_events``: the matching documents
    grouped by an ``_id`` holding one field per group key (the bucket of
    ``time`` as its number since 1970), sorted by those fields (a
    missing project_id, null, sorts first), at most ``limit`` groups."""
    key: dict[str, Any] = {}
    for name in grouping.keys:
        if name == "generated":
            length = grouping.bucket_seconds * 10**6
            key[name] = {
                "$subtract": ["$time", {"$mod": ["$time", bson.Int64(length)]}]
            }
        else:
            key[name] = {"$ifNull": [_GROUP_FIELDS[name], None]}
    pipeline: list[dict] = [
        {"$match": spec},
        {"$group": {"_id": key or None, "count": {"$sum": 1}}},
    ]
    if grouping.keys:
        pipeline.append(
            {"$sort": {"_id.%s" % name: 1 for name in grouping.keys}}
        )
    if limit is not None:
        pipeline.append({"$limit": limit})
    return pipeline


def decode_group(doc: dict, grouping: models.Grouping) -> models.Group:
    values = []
    for name in grouping.keys:
        value = (doc["_id"] or {}).get(name)
        if name == "generated":
            value = documents.decode_time(value)
        values.append(value)
    return models.Group(tuple(values), doc["count"])
