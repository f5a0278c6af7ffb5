"""Storage models as the JSON of ``panko.api.types``, and streamed lists.

A listing can hold ten thousand events with their raw notifications, so it
is written as it is read: the first item is fetched before the answer
starts (a bad marker or an unreachable database is still answered with a
proper error), then the rest is encoded in chunks of about
``CHUNK_BYTES`` while the storage iterator is consumed. Memory stays flat
whatever the limit.

Keys, their order and the text of each value are those WSME produced for
Panko 10; a unit test holds these functions to ``wsme.rest.json.tojson``
of the types. The JSON is written by orjson, compact and in UTF-8 (WSME
wrote ``json.dumps``' spaces and ``\\u`` escapes: the same values to any
JSON reader), and a raw notification the storage returns encoded is
copied into the answer as it is stored, never decoded.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any

import orjson
from oslo_log import log
import webob

from panko import jsonutils
from panko import traits_json
from panko.storage import models

LOG = log.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
CONTENT_TYPE = "application/json"
# Listings of at most this many events are built whole (see json_list);
# the SQL drivers read them whole too.
WHOLE_LIMIT = 1000


def trait_value(trait: models.Trait) -> str:
    """A trait value as text: ISO 8601 for datetimes, ``str()`` else."""
    return traits_json.value_text(trait.dtype, trait.value)


trait = traits_json.as_object


def trait_description(t: models.TraitType) -> dict:
    return {"type": models.DTYPE_NAMES[t.dtype], "name": t.name}


def event(e: models.Event) -> dict:
    raw = e.raw_json
    if raw is None and e.raw is not None:
        raw = jsonutils.dumps_bytes(e.raw)
    return {
        "message_id": e.message_id,
        "event_type": e.event_type,
        "traits": orjson.Fragment(
            traits_json.encode(e.traits)
            if e.traits_json is None
            else e.traits_json
        ),
        "generated": e.generated.isoformat(),
        "raw": None if raw is None else orjson.Fragment(raw),
        "position": e.position,
    }


def group(keys: tuple[str, ...], g: models.Group) -> dict:
    """One group of a count: its values under their keys, then count."""
    item = {}
    for key, value in zip(keys, g.values, strict=True):
        item[key] = value.isoformat() if key == "generated" else value
    item["count"] = g.count
    return item


def flatten(capabilities: dict, prefix: str = "") -> dict[str, bool]:
    """``{'a': {'b': True}}`` as ``{'a:b': True}``."""
    flat = {}
    for key, value in capabilities.items():
        name = prefix + key
        if isinstance(value, dict):
            flat.update(flatten(value, name + ":"))
        else:
            flat[name] = value
    return flat


def _dumps(value: Any) -> bytes:
    return jsonutils.dumps_bytes(value)


def json_response(value: Any, status: int = 200) -> webob.Response:
    return webob.Response(
        status=status,
        body=_dumps(value),
        content_type=CONTENT_TYPE,
        charset=None,
    )


def json_list(
    items: Iterable,
    encode: Callable[[Any], Any] = lambda v: v,
    whole: bool = False,
) -> webob.Response:
    """A response whose body is the JSON list of ``encode(item)``,
    streamed as ``items`` is consumed; or, when ``whole`` (a list known
    to be small), built first and answered with its length: the server
    sends it at once and the client reads it without chunked decoding."""
    if whole:
        return webob.Response(
            body=_dumps([encode(item) for item in items]),
            content_type=CONTENT_TYPE,
            charset=None,
        )
    iterator = iter(items)
    try:
        first = next(iterator)
    except StopIteration:
        return json_response([])
    resp = webob.Response(content_type=CONTENT_TYPE, charset=None)
    resp.app_iter = _chunks(first, iterator, encode)
    return resp


def _chunks(
    first: Any, rest: Iterator, encode: Callable[[Any], Any]
) -> Iterator[bytes]:
    """The chunks of the JSON list.

    A generator, so that pecan passes it on rather than reading it whole
    to see whether the body is empty; closing it (the server does when
    the client goes away, or when the response is dropped) closes the
    storage iterator and its database cursor.
    """
    parts, size = [], 0
    try:
        # The first item goes out at once: pecan reads the first chunk to
        # tell an empty body (204) from a list, and a listing that fails
        # later must not look empty.
        yield b"[" + _dumps(encode(first))
        for item in rest:
            data = _dumps(encode(item))
            parts.append(b",")
            parts.append(data)
            size += len(data) + 1
            if size >= CHUNK_BYTES:
                yield b"".join(parts)
                parts, size = [], 0
        parts.append(b"]")
    except Exception:
        # The status line is sent: all that can be done is to stop, so
        # that the client gets a truncated body, which is not valid JSON,
        # rather than a shorter list.
        LOG.exception("Listing interrupted after its answer started")
        return
    finally:
        close = getattr(rest, "close", None)
        if close is not None:
            close()
    yield b"".join(parts)
