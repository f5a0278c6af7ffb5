"""Fixtures the gabbi files name (``fixtures: [SampleEvents]``)."""

from __future__ import annotations

from gabbi import fixture

from panko.tests import apidata


class Context:
    """What the runner of the current file shares with its fixtures."""

    connection = None


CONTEXT = Context()


class SampleEvents(fixture.GabbiFixture):
    """The events of ``panko.tests.apidata.sample_events``, stored."""

    def start_fixture(self):
        events = apidata.sample_events()
        result = CONTEXT.connection.record_events(events)
        assert len(result.stored) == len(events), result
