"""No caller ever sees another project's events: a property test.

On every backend, hypothesis draws stores of events across awkward
project ids, then for each store many (identity, request) pairs from
``isolation_queries.QUERY_KINDS``; every answer must hold no event
outside the identity's scope and equal what ``isolation_model`` computes.

The run is derandomized and bounded (``STORES`` stores of up to 30
events, ``REQUESTS_PER_STORE`` requests each) so that CI is repeatable
and fast; ``PANKO_ISOLATION_STORES`` raises the number of stores for a
longer local search.
"""

from __future__ import annotations

import collections
import os

from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from panko.storage import models
from panko.tests import backends
from panko.tests.functional.api import isolation_queries as queries

STORES = int(os.environ.get("PANKO_ISOLATION_STORES", "10"))
REQUESTS_PER_STORE = 25

CI_PROFILE = settings(
    max_examples=STORES,
    derandomize=True,
    deadline=None,
    database=None,
    # PANKO_ISOLATION_SHRINK=0 reports the first failure as found,
    # without minutes spent shrinking it.
    phases=tuple(Phase)
    if os.environ.get("PANKO_ISOLATION_SHRINK", "1") != "0"
    else (Phase.explicit, Phase.generate),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def test_no_identity_sees_another_projects_events(storage_conn, make_app):
    apps = {
        False: make_app(),
        True: make_app(api={"restrict_to_user": True}),
    }
    stats: collections.Counter = collections.Counter()

    @CI_PROFILE
    @given(data=st.data())
    def check(data):
        events = data.draw(queries.stores(), label="store")
        backends.purge(storage_conn)
        # Half of them folded into the counts kept ahead of time (SQL),
        # so that counts read those tables and the events after them.
        half = len(events) // 2
        stored = storage_conn.record_events(list(events[:half])).stored
        storage_conn.fold_counts()
        stored += storage_conn.record_events(list(events[half:])).stored
        assert len(stored) == len(events)
        # The positions the storage gave, for conditions and kinds that
        # need them (a position cursor).
        positions = {
            e.message_id: e.position
            for e in storage_conn.get_events(models.EventFilter())
        }
        for event in events:
            event.position = positions[event.message_id]
        world = queries.World(events, apps, stats)
        for _ in range(REQUESTS_PER_STORE):
            identity = data.draw(queries.identities, label="identity")
            kind = data.draw(st.sampled_from(queries.QUERY_KINDS))
            kind(data, world, identity)
            stats[kind.__name__] += 1
            stats["checks"] += 1
        stats["stores"] += 1

    check()
    print(
        "isolation on %s: %d stores, %d checks, %d requests, %d leaks"
        % (
            storage_conn.url.split(":", 1)[0],
            stats["stores"],
            stats["checks"],
            stats["requests"],
            stats["leaks"],
        )
    )
    print(sorted(stats.items()))
    assert stats["leaks"] == 0
    assert stats["stores"] >= STORES
