"""Checking the ``message_signature`` Ceilometer puts on each event.

Ceilometer signs a serialized event with HMAC-SHA256 keyed by its
``[publisher] telemetry_secret``. The digest is fed, in order of sorted
keys, with each key and the text of its value; nested objects are walked
with their keys joined by ``:``; a list is fed as the Python text of a
copy in which every string is UTF-8 bytes and every object has sorted
keys (so ``[["host", 1, "a"]]`` is fed as ``[[b'host', 1, b'a']]``). The
``message_signature`` key itself is left out. Lists and tuples give the
same text, so the signature survives the JSON trip through the bus.
"""

from __future__ import annotations

from collections.abc import Iterator
import hashlib
import hmac
from typing import Any

SIGNATURE_KEY = "message_signature"


def compute(message: dict, secret: str) -> str:
    """The hex signature of ``message`` with ``secret``."""
    digest = hmac.new(secret.encode("utf-8"), b"", hashlib.sha256)
    for name, value in _pairs(message, ""):
        if name == SIGNATURE_KEY:
            continue
        digest.update(name.encode("utf-8"))
        digest.update(str(value).encode("utf-8"))
    return digest.hexdigest()


def verify(message: dict, secret: str) -> bool:
    """True when ``message`` carries the signature ``secret`` gives it."""
    given = message.get(SIGNATURE_KEY)
    if not isinstance(given, str):
        return False
    try:
        expected = compute(message, secret)
    except TypeError:
        # Keys that cannot be sorted together: no publisher signed this.
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8"))


def _pairs(data: dict, prefix: str) -> Iterator[tuple[str, Any]]:
    for key in sorted(data):
        value = data[key]
        name = "%s%s" % (prefix, key)
        if isinstance(value, dict):
            yield from _pairs(value, name + ":")
        elif isinstance(value, (list, tuple)):
            yield name, _as_signed(value)
        else:
            yield name, value


def _as_signed(value: Any) -> Any:
    """The copy of a list member whose text the signature covers."""
    if isinstance(value, dict):
        return {_as_signed(k): _as_signed(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_as_signed(item) for item in value]
    if isinstance(value, str):
        return value.encode("utf-8")
    return value
