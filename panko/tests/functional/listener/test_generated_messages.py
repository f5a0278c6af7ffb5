"""Generated notifications through the listener's batch handling, on
every backend.

Batches of messages whose payloads are good events, events with one part
wrong, or anything at all. The handler never raises; each batch is
acknowledged, at the latest after ``[listener] max_delivery_attempts``
deliveries; then every event that can be stored is stored, and every
item that cannot is in a dead letter of its message: nothing is
acknowledged and lost.
"""

from __future__ import annotations

import copy
import string
import threading

import hypothesis
from hypothesis import strategies as st

from panko import wire
from panko.listener import endpoint
from panko.storage import exceptions
from panko.storage import models
from panko.tests import badinput
from panko.tests import generative
from panko.tests import tally as tally_module

MAX_ATTEMPTS = 2


class DeadLetters:
    """Records what the endpoint dead-letters, by message."""

    def __init__(self):
        self.sent = []

    def send(self, message, payload, reasons):
        assert reasons
        self.sent.append((message, payload))

    def payloads_of(self, message) -> list:
        return [p for m, p in self.sent if m is message]


event_ids = st.text(string.ascii_lowercase, min_size=6, max_size=10).map(
    lambda s: "lst-" + s
)
messages = st.fixed_dictionaries(
    {
        "ctxt": st.just({}),
        "publisher_id": st.just("telemetry.publisher.host"),
        "event_type": st.just("event"),
        "payload": st.one_of(
            st.lists(badinput.events(event_ids), min_size=1, max_size=4),
            badinput.json_values,
        ),
        "metadata": st.fixed_dictionaries(
            {
                "message_id": st.one_of(
                    st.uuids().map(str), badinput.json_scalars
                ),
                "timestamp": st.just("2026-01-01 00:00:00.000000"),
            }
        ),
    }
)


def _storable(connection, item) -> models.Event | None:
    """The event ``item`` describes, if the storage can keep it."""
    try:
        event = wire.event_from_dict(copy.deepcopy(item))
        connection.check_event(event)
    except (wire.InvalidEventData, exceptions.InvalidEvent, RecursionError):
        return None
    return event


def _stored(connection, message_id) -> bool:
    found = connection.get_events(
        models.EventFilter(message_id=message_id), models.Pagination(limit=1)
    )
    return len(list(found)) == 1


def test_generated_batches(conf, storage_conn, record_property):
    conf.set_override("retry_interval", 0.01, "listener")
    conf.set_override("max_retry_interval", 0.01, "listener")
    conf.set_override("max_delivery_attempts", MAX_ATTEMPTS, "listener")
    counts = {"messages": 0, "events": 0, "lost": 0}

    @generative.examples(60)
    @hypothesis.given(batch=st.lists(messages, min_size=1, max_size=4))
    def check(batch):
        dead = DeadLetters()
        handler = endpoint.EventsEndpoint(
            conf, storage_conn, dead, threading.Event()
        )
        original = copy.deepcopy(batch)
        for _ in range(MAX_ATTEMPTS + 1):
            result = handler.sample(batch)
            if result == endpoint.HANDLED:
                break
        assert result == endpoint.HANDLED
        assert badinput.dumps(batch) == badinput.dumps(original), (
            "the handler changed the messages"
        )
        counts["messages"] += len(batch)
        for message in batch:
            payload = message["payload"]
            dead_payloads = dead.payloads_of(message)
            if not isinstance(payload, list):
                assert dead_payloads == [payload]
                continue
            for item in payload:
                event = _storable(storage_conn, item)
                if event is not None:
                    counts["events"] += 1
                    if not _stored(storage_conn, event.message_id):
                        counts["lost"] += 1
                elif not any(
                    item is dead_item for p in dead_payloads for dead_item in p
                ):
                    counts["lost"] += 1
        assert counts["lost"] == 0

    check()
    record_property(tally_module.MESSAGES, counts["messages"])
    record_property(tally_module.EVENTS, counts["events"])
    record_property(tally_module.LOST, counts["lost"])
    assert counts["events"] > 0
