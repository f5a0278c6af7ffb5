"""The JSON of an event's traits, as the v2 API serves them.

A list sorted by name and type of ``{"name", "value", "type"}`` objects
whose values are text, as Panko 10 wrote them: ISO 8601 for datetimes,
Python's ``str()`` for numbers. The SQL storage keeps this text beside
each event's raw notification, written once when the event is stored, so
that a listing copies it into its answer instead of rebuilding a thousand
small objects per page.
"""

from __future__ import annotations

from panko import jsonutils
from panko.storage import models

_TEXT = models.TEXT_TYPE
_INT = models.INT_TYPE
_DATETIME = models.DATETIME_TYPE
_TYPE_NAMES = models.DTYPE_NAMES


def value_text(dtype: int, value) -> str:
    if dtype == _TEXT:
        return value
    if dtype == _DATETIME:
        return value.isoformat()
    return str(value) if dtype == _INT else str(float(value))


def as_object(trait: models.Trait) -> dict:
    """A trait as the API's object."""
    name, dtype, value = trait
    return {
        "name": name,
        "value": value_text(dtype, value),
        "type": _TYPE_NAMES[dtype],
    }


def encode(traits: list[models.Trait]) -> bytes:
    """An event's traits as the API's JSON (compact UTF-8), sorted.
    (name, type) pairs are unique in an event: sorting the tuples never
    compares values."""
    return jsonutils.dumps_bytes([as_object(t) for t in sorted(traits)])
