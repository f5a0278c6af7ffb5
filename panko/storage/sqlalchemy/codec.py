"""Turning events into rows and rows back into events.

The traits document groups values by Ceilometer's type code, so that a
filter names a typed path (``$."2"."vcpus"``) and PostgreSQL's GIN index
can answer ``traits @> '{"1": {"host": "node-1"}}'``. Datetimes are kept
as ISO 8601 text with microseconds, so that comparing the text compares
the times. The text ``project_id`` and ``user_id`` traits live in columns
of their own and are left out of the document: stored once, not twice.

The ``raw`` column holds what the API shows of an event beyond its
other columns: the traits as the API's JSON (``panko.traits_json``,
written once here rather than rebuilt by every listing: the document is
for filters) and the raw notification's JSON, compressed together as one
Zstandard frame (level 3). JSON notifications are mostly keys, UUIDs and
words: entropy coding halves them (and the trait values, most of which
are in the notification too, add little), where the databases' own LZ
compressors (lz4, pglz, none on MariaDB) save a quarter at best. zstd
compresses those payloads of a few KiB as small as zlib does, three
times faster, and decompresses them two and a half times faster: a
listing of 100 events decompresses 100 of them. Rows written by earlier
versions of panko hold zlib streams, which are still read: a zstd frame
begins with bytes no zlib stream can begin with.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any
import zlib

import zstandard

from panko import jsonutils
from panko import traits_json
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
    sorted by name and type.

    A listing decodes a thousand traits per page: one comprehension per
    type, no call per trait but the value's conversion."""
    if isinstance(doc, (str, bytes)):
        doc = jsonutils.loads(doc)
    trait = models.Trait
    traits = owner_traits(project, user)
    for dtype_key, values in doc.items():
        dtype = _DTYPES[dtype_key]
        convert = _DECODERS.get(dtype)
        if convert is None:
            traits.extend([trait(n, dtype, v) for n, v in values.items()])
        else:
            traits.extend(
                [trait(n, dtype, convert(v)) for n, v in values.items()]
            )
    # (name, dtype) is unique in an event: the values are never compared.
    traits.sort()
    return traits


def owner_traits(project: str | None, user: str | None) -> list[models.Trait]:
    """The text project_id and user_id traits of the event columns."""
    traits = []
    if project is not None:
        traits.append(
            models.Trait(models.PROJECT_TRAIT, models.TEXT_TYPE, project)
        )
    if user is not None:
        traits.append(models.Trait(models.USER_TRAIT, models.TEXT_TYPE, user))
    return traits


def decode_named_traits(
    doc: Any, name: str, project: str | None = None, user: str | None = None
) -> list[models.Trait]:
    """The traits called ``name`` of :func:`decode_traits`, in its order,
    without decoding the others (listing the values of one trait reads
    thousands of documents)."""
    if isinstance(doc, (str, bytes)):
        doc = jsonutils.loads(doc)
    column = {models.PROJECT_TRAIT: project, models.USER_TRAIT: user}.get(name)
    traits = []
    if column is not None:
        traits.append(models.Trait(name, models.TEXT_TYPE, column))
    for dtype_key, values in doc.items():
        if name in values:
            dtype = _DTYPES[dtype_key]
            traits.append(
                models.Trait(name, dtype, _value(dtype, values[name]))
            )
    traits.sort(key=lambda t: t.dtype)
    return traits


# The document's type keys, and how a stored value of each type becomes
# the Python value: JSON has no datetime, and a float may be stored as an
# integer (PostgreSQL's JSONB writes 1e20 as 100000000000000000000).
_DTYPES = {key: dtype for dtype, key in _KEYS.items()}
_DECODERS = {models.DATETIME_TYPE: decode_datetime, models.FLOAT_TYPE: float}


def _value(dtype: int, stored: Any) -> Any:
    convert = _DECODERS.get(dtype)
    return stored if convert is None else convert(stored)


ZSTD_LEVEL = 3
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Compact JSON never holds a raw newline: it parts the two texts.
_SEPARATOR = b"\n"


class _Contexts(threading.local):
    """A zstd compression and decompression context per thread: a
    context serves one operation at a time, and making one per call
    would cost more than compressing an event."""

    def __init__(self):
        self.compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
        self.decompressor = zstandard.ZstdDecompressor()


_CONTEXTS = _Contexts()


def encode_shown(event: models.Event) -> bytes:
    """The stored form of what the API shows of an event beyond its
    columns: its traits as the API's JSON, a newline, and its raw
    notification already encoded as JSON (nothing when it has none), in
    one zstd frame. Compressed together, the trait values cost little:
    most are in the notification too."""
    return _CONTEXTS.compressor.compress(
        traits_json.encode(event.traits) + _SEPARATOR + (event.raw_json or b"")
    )


def decompress(stored: bytes) -> bytes:
    """The text of a stored zstd frame, or of the zlib stream of a row
    written by an earlier version."""
    if stored[:4] == _ZSTD_MAGIC:
        return _CONTEXTS.decompressor.decompress(stored)
    return zlib.decompress(stored)


def decode_shown(stored: bytes) -> tuple[bytes, bytes | None]:
    """The traits' JSON and the raw notification's JSON (None when the
    event has none) of :func:`encode_shown`."""
    shown_traits, _, raw = decompress(stored).partition(_SEPARATOR)
    return shown_traits, raw or None


def decode_raw(stored: bytes) -> Any:
    """The raw notification of :func:`encode_shown`, decoded."""
    raw = decode_shown(stored)[1]
    return None if raw is None else jsonutils.loads(raw)
