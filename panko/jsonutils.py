"""Fast, compact JSON for what panko stores and serves.

orjson where it can (several times faster than the standard library on
the payloads Ceilometer sends), the standard library where orjson refuses
(integers beyond 64 bits). Not-a-number floats, which JSON cannot
represent, are written as null.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS
_fallback = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False
).encode


def dumps_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON; TypeError or ValueError when it is
    not representable."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return _fallback(value).encode("utf-8")


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode("utf-8")


def loads(text: str | bytes) -> Any:
    """The value of JSON ``text``; the standard library reads what orjson
    refuses (integers beyond 64 bits or beyond a double's range), which
    dumps_bytes() writes."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
