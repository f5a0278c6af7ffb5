"""Faults between panko and its servers, injected by a TCP proxy.

Each test talks to the real PostgreSQL, MariaDB or RabbitMQ through a
:class:`~panko.tests.faultproxy.FaultProxy`, so that the shared servers
are never stopped. ``WRITE_FAULTS`` names the ways a write can fail:
the server down, or the connection cut at a chosen point of the write
transaction, up to a COMMIT the server carries out but whose answer is
lost.

Counts are taken straight from the ``event`` table, not through panko,
so that a duplicate panko would hide from readers is still seen.
"""

from __future__ import annotations

import collections
import os

import pytest
import sqlalchemy as sa

from panko.tests import backends
from panko.tests import faultproxy

# Where, in each dialect's write transaction, the connection is cut:
# (pattern the client sends, how: "drop" before it reaches the server,
# "extra" bytes past it, or "lose_answer" once the server has answered).
_PATTERNS = {
    "postgresql": {
        # The claim of positions and the look-ups (one statement): not
        # sent, then cut in the middle of its look-ups.
        "at_claim": (b"UPDATE event_position", "drop"),
        "at_look_up": (b"UPDATE event_position", 120),
        # The claim is done, the COPY of the events not begun.
        "between_statements": (b"COPY event", "drop"),
        # Half of the binary COPY data sent.
        "mid_insert": (b"PGCOPY\n", 64),
        "before_commit": (b"COMMIT", "drop"),
        "commit_answer_lost": (b"COMMIT", "lose_answer"),
    },
    "mysql": {
        "at_claim": (b"UPDATE event_position", "drop"),
        # The claim is done, the look-up of the stored message_ids not.
        "at_look_up": (b"SELECT 0, message_id", "drop"),
        "between_statements": (b"INSERT INTO event (", "drop"),
        "mid_insert": (b"INSERT INTO event (", 200),
        "before_commit": (b"COMMIT", "drop"),
        "commit_answer_lost": (b"COMMIT", "lose_answer"),
    },
}
WRITE_FAULTS = ("down",) + tuple(_PATTERNS["postgresql"])
# Faults after which the write may have been committed.
MAY_BE_COMMITTED = ("commit_answer_lost",)


def server_address(backend: str) -> tuple[str, int]:
    url = sa.engine.make_url(backends.SERVER_URLS[backend])
    return url.host, url.port


@pytest.fixture
def db_proxy(backend):
    """A proxy in front of ``backend``'s server."""
    with faultproxy.FaultProxy(*server_address(backend)) as proxy:
        yield proxy


@pytest.fixture
def proxied_url(storage_conn, db_proxy):
    """The test database's URL, through the proxy."""
    return db_proxy.url_for(storage_conn.url)


def inject(proxy: faultproxy.FaultProxy, backend: str, fault: str):
    """Arm ``fault``; return its trap (None for "down", which lasts
    until ``proxy.resume()``)."""
    if fault == "down":
        proxy.refuse()
        return None
    pattern, how = _PATTERNS[backend][fault]
    if how == "drop":
        return proxy.cut_on(pattern)
    if how == "lose_answer":
        return proxy.cut_on(pattern, lose_answer=True)
    return proxy.cut_on(pattern, extra=how)


def stored_counts(storage_conn) -> collections.Counter:
    """How many rows each message_id has in the ``event`` table."""
    with storage_conn.facade.reader() as conn:
        rows = conn.execute(
            sa.text("SELECT message_id, count(*) FROM event GROUP BY 1")
        ).all()
    return collections.Counter(dict(rows))


def assert_exactly_once(storage_conn, sent_ids) -> collections.Counter:
    """Every id of ``sent_ids`` stored once, and nothing else."""
    counts = stored_counts(storage_conn)
    sent = set(sent_ids)
    lost = sent - set(counts)
    duplicated = {m: n for m, n in counts.items() if n > 1}
    unexpected = set(counts) - sent
    assert (lost, duplicated, unexpected) == (set(), {}, set())
    return counts


def report(scenario: str, backend: str, proxy, sent: int, storage_conn):
    """Append a line of figures to ``$PANKO_FAULT_REPORT`` when set."""
    path = os.environ.get("PANKO_FAULT_REPORT")
    if not path:
        return
    counts = stored_counts(storage_conn)
    with open(path, "a") as out:
        out.write(
            "%s %s faults=%d sent=%d stored=%d duplicated=%d\n"
            % (
                scenario,
                backend,
                0 if proxy is None else proxy.cuts + proxy.refused,
                sent,
                len(counts),
                sum(n - 1 for n in counts.values()),
            )
        )


# The listener's fixtures: a private bus, its configuration, listeners
# stopped at the end of the test.
from panko.tests.functional.api.conftest import make_app  # noqa: E402,F401
from panko.tests.functional.listener.conftest import bus  # noqa: E402,F401
from panko.tests.functional.listener.conftest import listener_conf  # noqa: E402,F401
from panko.tests.functional.listener.conftest import start_listener  # noqa: E402,F401
