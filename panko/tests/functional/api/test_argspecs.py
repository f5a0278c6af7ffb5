"""A request does not make pecan inspect controller signatures again
(``panko.api.argspecs``)."""

from __future__ import annotations

import inspect
from unittest import mock

import pytest

from panko.tests import apidata


@pytest.mark.backends("sqlite")
def test_requests_do_not_inspect_signatures_again(api):
    api.get("/v2/event_types", headers=apidata.ADMIN)
    with mock.patch.object(
        inspect, "getfullargspec", wraps=inspect.getfullargspec
    ) as inspected:
        api.get("/v2/event_types", headers=apidata.ADMIN)
        api.get("/v2/event_types", headers=apidata.ADMIN)
    callers = {
        call_args.args[0].__qualname__
        for call_args in inspected.call_args_list
        if hasattr(call_args.args[0], "__qualname__")
    }
    assert not {c for c in callers if "Controller" in c}, callers
