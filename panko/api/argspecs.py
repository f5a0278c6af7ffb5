"""Remembering the argument specifications read on every request.

pecan inspects the signature of each controller method it passes through
(``pecan.util._getargspec``), several times per request, and builds a
new named tuple class each time; oslo.policy inspects each check of a
rule before calling it (``_checks._check``), and each oslo.middleware
filter its own ``process_response`` (``base.Middleware.__call__``):
together a third of the CPU of a small request. A method's signature
does not change, so the answers are kept.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from oslo_middleware import base as middleware_base
from oslo_policy import _checks as policy_checks
import pecan.util

# The methods inspected are few and live as long as the application
# (controllers, filters, the checks of the rules loaded): the bound only
# guards against one that makes new ones per request, and rules
# replaced when the policy file changes.
CACHE_SIZE = 1024


@functools.lru_cache(maxsize=CACHE_SIZE)
def getfullargspec(func) -> inspect.FullArgSpec:
    """``inspect.getfullargspec``, once per function or bound method
    (bound methods are equal, and hash alike, when their function and
    object are the same)."""
    return inspect.getfullargspec(func)


class _CachedInspect:
    """The ``inspect`` module as oslo.policy's checks see it."""

    getfullargspec = staticmethod(getfullargspec)

    def __getattr__(self, name: str) -> Any:
        return getattr(inspect, name)


def remember() -> None:
    """Cache the three inspections; idempotent. Leaves alone a library
    that no longer inspects through the name replaced here (the tests
    of this module say when that happens)."""
    pecan_inspect = getattr(pecan.util, "_getargspec", None)
    if pecan_inspect is not None and not hasattr(pecan_inspect, "cache_info"):
        pecan.util._getargspec = functools.lru_cache(maxsize=CACHE_SIZE)(
            pecan_inspect
        )
    if getattr(policy_checks, "inspect", None) is inspect:
        policy_checks.inspect = _CachedInspect()
    if hasattr(middleware_base, "getfullargspec"):
        middleware_base.getfullargspec = getfullargspec
