"""Turning events into MongoDB documents and documents back into events.

One document per event in the ``events`` collection::

    {"_id": message_id,            # the key: a redelivery is a duplicate
     "position": Int64,            # ingestion order (see driver.py)
     "type": "compute.instance.create.end",
     "time": Int64,                # generated, microseconds since 1970
     "generated": datetime,        # the same, a BSON date (milliseconds)
     "project_id": "..." or None,  # copied out of the traits for scoping
     "user_id": "..." or None,
     "traits": [{"n": name, "t": dtype, "v": value}, ...],
     "raw": "JSON text" or None}

BSON dates only keep milliseconds, so the sort key and every time
comparison use ``time``, an exact integer; ``generated`` exists for the
optional TTL index, which needs a date. Traits are an array of small
documents rather than fields named after the traits: names are then plain
values (a trait called ``a.b`` or ``$where`` is never a field path), and
one multikey index on ``(n, t, v)`` serves a filter on any trait. Integer
values are always 64-bit and datetime values are microseconds like
``time``, so that every value of one type has one BSON type and compares
as the SQL drivers compare it. The raw notification is kept as JSON text:
its keys may contain anything, which BSON field names cannot.
"""

from __future__ import annotations

import datetime
from typing import Any

import bson

from panko import jsonutils
from panko.storage import models

EPOCH = datetime.datetime(1970, 1, 1)
MICROSECOND = datetime.timedelta(microseconds=1)


def encode_time(moment: datetime.datetime) -> bson.Int64:
    """A naive UTC datetime as exact microseconds since the epoch."""
    return bson.Int64((moment - EPOCH) // MICROSECOND)


def decode_time(micros: int) -> datetime.datetime:
    return EPOCH + datetime.timedelta(microseconds=micros)


def encode_value(dtype: int, value: Any) -> Any:
    """A trait value as stored, and as compared in filters."""
    if dtype == models.INT_TYPE:
        return bson.Int64(value)
    if dtype == models.FLOAT_TYPE:
        return float(value)
    if dtype == models.DATETIME_TYPE:
        return encode_time(value)
    return value


def decode_value(dtype: int, value: Any) -> Any:
    if dtype == models.INT_TYPE:
        return int(value)
    if dtype == models.FLOAT_TYPE:
        return float(value)
    if dtype == models.DATETIME_TYPE:
        return decode_time(value)
    return value


def encode_raw(event: models.Event) -> str | None:
    """The raw notification as JSON text: the encoding the storage made
    when it checked the event, else (Panko 10's documents) a new one."""
    if event.raw_json is not None:
        return event.raw_json.decode("utf-8")
    return None if event.raw is None else jsonutils.dumps(event.raw)


def event_document(event: models.Event, position: int) -> dict:
    return {
        "_id": event.message_id,
        "position": bson.Int64(position),
        "type": event.event_type,
        "time": encode_time(event.generated),
        "generated": event.generated,
        "project_id": _text_trait(event, models.PROJECT_TRAIT),
        "user_id": _text_trait(event, models.USER_TRAIT),
        "traits": [
            {"n": t.name, "t": t.dtype, "v": encode_value(t.dtype, t.value)}
            for t in event.traits
        ],
        "raw": encode_raw(event),
    }


def _text_trait(event: models.Event, name: str) -> str | None:
    trait = event.trait(name)
    return None if trait is None else trait.value


def decode_traits(items: list[dict]) -> list[models.Trait]:
    """Traits of a stored document, sorted by name and type."""
    traits = [
        models.Trait(item["n"], item["t"], decode_value(item["t"], item["v"]))
        for item in items
    ]
    traits.sort(key=lambda t: (t.name, t.dtype))
    return traits


def decode_event(doc: dict, encoded: bool = False) -> models.Event:
    """The event of a document; its raw notification left as UTF-8 JSON
    in ``raw_json`` when ``encoded`` (see Connection.get_events: the
    traits are decoded either way)."""
    raw = raw_json = None
    if doc.get("raw") is not None:
        if encoded:
            raw_json = doc["raw"].encode("utf-8")
        else:
            raw = jsonutils.loads(doc["raw"])
    return models.Event(
        message_id=doc["_id"],
        event_type=doc["type"],
        generated=decode_time(doc["time"]),
        traits=decode_traits(doc.get("traits", [])),
        raw=raw,
        position=doc["position"],
        raw_json=raw_json,
    )


def trait_types_of(events: list[models.Event]) -> dict[str, list[dict]]:
    """The distinct (name, type) pairs of each event type in ``events``,
    as stored in the ``event_types`` collection."""
    found: dict[str, dict[tuple, dict]] = {}
    for event in events:
        types = found.setdefault(event.event_type, {})
        for trait in event.traits:
            key = (trait.name, trait.dtype)
            types.setdefault(key, {"n": trait.name, "t": trait.dtype})
    return {name: list(types.values()) for name, types in found.items()}
