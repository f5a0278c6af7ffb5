"""Counts of the generated requests a test sent and of the 5xx answers
it got, shown at the end of the run.

A test takes the ``tally`` fixture (``panko/tests/conftest.py``) and
calls ``tally.record(status)`` for each answer; the counts travel as the
test report's user properties, so that they reach the summary from the
xdist workers too.
"""

from __future__ import annotations

import collections

SENT = "generated_requests"
SERVER_ERRORS = "server_errors"
STATUSES = "statuses"
# For tests that generate queue messages instead of requests.
MESSAGES = "generated_messages"
EVENTS = "storable_events"
LOST = "events_lost"


class Tally:
    def __init__(self):
        self.statuses: collections.Counter[int] = collections.Counter()

    def record(self, status: int) -> None:
        self.statuses[status] += 1

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def describe(self) -> str:
        """``200: 12, 400: 30``, by status."""
        return ", ".join(
            "%d: %d" % item for item in sorted(self.statuses.items())
        )

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)


def summary_lines(reports) -> list[str]:
    """One line per test that counted, and the totals."""
    lines = []
    total_sent = total_errors = 0
    for report in reports:
        props = dict(report.user_properties)
        if MESSAGES in props:
            lines.append(
                "%s: %d messages, %d storable events, %d lost"
                % (report.nodeid, props[MESSAGES], props[EVENTS], props[LOST])
            )
        if SENT not in props:
            continue
        total_sent += props[SENT]
        total_errors += props[SERVER_ERRORS]
        lines.append(
            "%s: %d requests, %d 5xx (%s)"
            % (
                report.nodeid,
                props[SENT],
                props[SERVER_ERRORS],
                props.get(STATUSES, ""),
            )
        )
    if total_sent:
        lines.append(
            "total: %d generated requests, %d 5xx" % (total_sent, total_errors)
        )
    return lines
