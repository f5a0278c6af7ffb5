"""A request inspects no signature again: neither pecan's controllers,
oslo.policy's checks nor oslo.middleware's filters
(``panko.api.argspecs``)."""

from __future__ import annotations

import inspect
from unittest import mock

import pytest

from panko.api import argspecs
from panko.tests import apidata

# One of each: a listing (one rule), an item (its rule with and without
# the event's owners), and the filters every request goes through.
PATHS = ("/v2/event_types", "/v2/events", "/v2/events/no-such-event")


@pytest.mark.backends("sqlite")
def test_requests_do_not_inspect_signatures_again(api):
    for path in PATHS:
        api.get(path, headers=apidata.MEMBER_A, expect_errors=True)
    misses = argspecs.getfullargspec.cache_info().misses
    with mock.patch.object(
        inspect, "getfullargspec", wraps=inspect.getfullargspec
    ) as inspected:
        for path in PATHS * 2:
            api.get(path, headers=apidata.MEMBER_A, expect_errors=True)
    assert [c.args[0] for c in inspected.call_args_list] == []
    assert argspecs.getfullargspec.cache_info().misses == misses
