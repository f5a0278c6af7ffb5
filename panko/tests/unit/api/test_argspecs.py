"""The signatures pecan, oslo.policy and oslo.middleware read on every
request are inspected once (``panko.api.argspecs``)."""

from __future__ import annotations

import inspect

from oslo_middleware import base as middleware_base
from oslo_policy import _checks as policy_checks
import pecan.util

from panko.api import argspecs


def test_the_libraries_still_inspect_through_the_replaced_names():
    # Fails when a library no longer has the name remember() replaces;
    # a second call changes nothing. The functional test of the same
    # module checks that requests then inspect nothing.
    argspecs.remember()
    assert hasattr(pecan.util._getargspec, "cache_info")
    assert policy_checks.inspect.getfullargspec is argspecs.getfullargspec
    assert middleware_base.getfullargspec is argspecs.getfullargspec
    argspecs.remember()
    assert not hasattr(pecan.util._getargspec.__wrapped__, "cache_info")
    assert isinstance(policy_checks.inspect, argspecs._CachedInspect)


def test_oslo_policy_sees_the_rest_of_inspect():
    argspecs.remember()
    assert policy_checks.inspect.signature is inspect.signature


def test_a_bound_method_is_inspected_once_and_answered_the_same():
    class Check:
        def __call__(self, target, creds, enforcer, current_rule=None):
            return True

    check = Check()
    argspecs.getfullargspec.cache_clear()
    first = argspecs.getfullargspec(check.__call__)
    again = argspecs.getfullargspec(check.__call__)  # a new bound method
    assert again is first
    assert first == inspect.getfullargspec(check.__call__)
    assert argspecs.getfullargspec.cache_info().misses == 1
    other = Check()
    argspecs.getfullargspec(other.__call__)
    assert argspecs.getfullargspec.cache_info().misses == 2
