"""Turning events into rows and rows back into events.

The traits document groups values by Ceilometer's type code, so that a
filter names a typed path (``$."2"."vcpus"``) and PostgreSQL's GIN index
can answer ``traits @> '{"1": {"host": "node-1"}}'``. Datetimes are kept
as ISO 8601 text with microseconds, so that comparing the text compares
the times. The text ``project_id`` and ``user_id`` traits live in columns
of their own and are left out of the document: stored once, not twice.

Raw notifications are stored zlib-compressed (level 1, a 4 KiB window
and a small hash table). JSON notifications are mostly keys, UUIDs and
words: zlib's entropy coding halves them, where the databases' own LZ
compressors (lz4, pglz, none on MariaDB) save a quarter at best. The
small window loses nothing on payloads of a few KiB and makes each call
three times cheaper than zlib's defaults, whose setup (256 KiB of
tables, cleared for every payload) costs more than compressing one.
"""

from __future__ import annotations

import datetime
from typing import Any
import zlib

from panko import jsonutils
from panko.storage import models


def encode_datetime(value: datetime.datetime) -> str:
    """ISO 8601 with microseconds and a four-digit year, so that the
    texts sort as the times do."""
    return value.isoformat(timespec="microseconds")


def decode_datetime(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


_DATETIME = models.DATETIME_TYPE
_KEYS = {dtype: str(dtype) for dtype in models.DTYPE_NAMES}


def split_traits(
    traits: list[models.Trait],
) -> tuple[str | None, str | None, dict[str, dict]]:
    """The text project_id and user_id of an event, and the JSON-ready
    document of its other traits."""
    project = user = None
    doc: dict[str, dict] = {}
    for name, dtype, value in traits:
        if dtype == models.TEXT_TYPE:
            if name == models.PROJECT_TRAIT:
                project = value
                continue
            if name == models.USER_TRAIT:
                user = value
                continue
        elif dtype == _DATETIME:
            value = encode_datetime(value)
        group = doc.get(_KEYS[dtype])
        if group is None:
            doc[_KEYS[dtype]] = {name: value}
        else:
            group[name] = value
    return project, user, doc


def encode_json(value: Any) -> str:
    return jsonutils.dumps(value)


def decode_traits(
    doc: Any, project: str | None = None, user: str | None = None
) -> list[models.Trait]:
    """Traits from a stored document (text, or already decoded by the
    database driver) and the event's project_id and user_id columns,
    sorted by name and type."""
    if isinstance(doc, str):
        doc = jsonutils.loads(doc)
    traits = []
    if project is not None:
        traits.append(
            models.Trait(models.PROJECT_TRAIT, models.TEXT_TYPE, project)
        )
    if user is not None:
        traits.append(models.Trait(models.USER_TRAIT, models.TEXT_TYPE, user))
    for dtype_key, values in doc.items():
        dtype = int(dtype_key)
        for name, value in values.items():
            traits.append(models.Trait(name, dtype, _value(dtype, value)))
    traits.sort(key=lambda t: (t.name, t.dtype))
    return traits


def decode_named_traits(
    doc: Any, name: str, project: str | None = None, user: str | None = None
) -> list[models.Trait]:
    """The traits called ``name`` of :func:`decode_traits`, in its order,
    without decoding the others (listing the values of one trait reads
    thousands of documents)."""
    if isinstance(doc, str):
        doc = jsonutils.loads(doc)
    column = {models.PROJECT_TRAIT: project, models.USER_TRAIT: user}.get(name)
    traits = []
    if column is not None:
        traits.append(models.Trait(name, models.TEXT_TYPE, column))
    for dtype_key, values in doc.items():
        if name in values:
            dtype = int(dtype_key)
            traits.append(
                models.Trait(name, dtype, _value(dtype, values[name]))
            )
    traits.sort(key=lambda t: t.dtype)
    return traits


def _value(dtype: int, stored: Any) -> Any:
    if dtype == models.DATETIME_TYPE:
        return decode_datetime(stored)
    if dtype == models.FLOAT_TYPE:
        return float(stored)
    return stored


_WINDOW_BITS = 12
_MEMORY_LEVEL = 4


def encode_raw(encoded: bytes | None) -> bytes | None:
    """The stored form of a raw notification already encoded as JSON: a
    zlib stream, which zlib.decompress() reads whatever its window."""
    if encoded is None:
        return None
    compressor = zlib.compressobj(
        1, zlib.DEFLATED, _WINDOW_BITS, _MEMORY_LEVEL
    )
    return compressor.compress(encoded) + compressor.flush()


def decode_raw(stored: bytes | None) -> Any:
    return None if stored is None else jsonutils.loads(zlib.decompress(stored))
