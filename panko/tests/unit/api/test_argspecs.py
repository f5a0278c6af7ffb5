"""pecan's inspection of controller signatures is done once."""

from __future__ import annotations

import pecan.util

from panko.api import argspecs


def test_pecan_still_inspects_through_the_remembered_function():
    # Fails when pecan no longer has the function remember() caches;
    # a second call keeps the one cache. The functional test of the same
    # name checks that requests then inspect nothing.
    argspecs.remember()
    assert hasattr(pecan.util._getargspec, "cache_info")
    argspecs.remember()
    assert not hasattr(pecan.util._getargspec.__wrapped__, "cache_info")
