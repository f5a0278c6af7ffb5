"""Turning events into rows and rows back into events.

The traits document groups values by Ceilometer's type code, so that a
filter names a typed path (``$."2"."vcpus"``) and PostgreSQL's GIN index
can answer ``traits @> '{"1": {"host": "node-1"}}'``. Datetimes are kept
as ISO 8601 text with microseconds, so that comparing the text compares
the times.
"""

from __future__ import annotations

import datetime
from typing import Any

from panko import jsonutils
from panko.storage import models


def encode_datetime(value: datetime.datetime) -> str:
    """ISO 8601 with microseconds and a four-digit year, so that the
    texts sort as the times do."""
    return value.isoformat(timespec="microseconds")


def decode_datetime(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


def traits_document(traits: list[models.Trait]) -> dict[str, dict]:
    """The traits of an event as a JSON-ready document."""
    doc: dict[str, dict] = {}
    for trait in traits:
        value = trait.value
        if trait.dtype == models.DATETIME_TYPE:
            value = encode_datetime(value)
        doc.setdefault(str(trait.dtype), {})[trait.name] = value
    return doc


def encode_json(value: Any) -> str:
    return jsonutils.dumps(value)


def decode_traits(doc: Any) -> list[models.Trait]:
    """Traits from a stored document (text, or already decoded by the
    database driver), sorted by name and type."""
    if isinstance(doc, str):
        doc = jsonutils.loads(doc)
    traits = []
    for dtype_key, values in doc.items():
        dtype = int(dtype_key)
        for name, value in values.items():
            if dtype == models.DATETIME_TYPE:
                value = decode_datetime(value)
            elif dtype == models.FLOAT_TYPE:
                value = float(value)
            traits.append(models.Trait(name, dtype, value))
    traits.sort(key=lambda t: (t.name, t.dtype))
    return traits


def text_trait(traits: list[models.Trait], name: str) -> str | None:
    for trait in traits:
        if trait.name == name and trait.dtype == models.TEXT_TYPE:
            return trait.value
    return None


def decode_raw(text: str | None) -> Any:
    return None if text is None else jsonutils.loads(text)
