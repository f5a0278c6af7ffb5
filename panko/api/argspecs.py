"""Remembering the argument specifications pecan reads while routing.

pecan inspects the signature of each controller method it passes through
(``pecan.util.getargspec``), several times per request, and builds a new
named tuple class each time: a third of the CPU of a small request. A
method's signature does not change, so the answers are kept.
"""

from __future__ import annotations

import functools

import pecan.util

# Controller methods are few and live as long as the application: the
# bound only guards against an application that makes controllers per
# request.
CACHE_SIZE = 1024


def remember() -> None:
    """Cache pecan's inspection of signatures; idempotent. Does nothing
    with a pecan that no longer inspects through ``util._getargspec``
    (the test of this module says when that happens)."""
    inspect = getattr(pecan.util, "_getargspec", None)
    if inspect is None or hasattr(inspect, "cache_info"):
        return
    pecan.util._getargspec = functools.lru_cache(maxsize=CACHE_SIZE)(inspect)
