"""The batch logic of the listener, on an in-memory store."""

import logging
import threading

import pytest

from panko.listener import deadletter
from panko.listener import endpoint
from panko.storage import base
from panko.storage import exceptions

HANDLED = endpoint.HANDLED
REQUEUE = endpoint.REQUEUE


class MemoryStore(base.Connection):
    """The storage contract in a dict, with failures on demand."""

    def __init__(self, conf):
        super().__init__("memory://", conf)
        self.events = {}
        self.unavailable = 0  # next record_events calls that fail so
        self.broken_ids = set()  # message_ids that make the store raise
        self.schema_ready = True
        self.refusing = False
        self.calls = []

    def needs_upgrade(self):
        if self.refusing:
            raise RuntimeError("permission denied for table event")
        if self.unavailable:
            self.unavailable -= 1
            raise exceptions.StorageUnavailable(
                "The database is unavailable: connection refused"
            )
        return not self.schema_ready

    def _record_events(self, events):
        self.calls.append([e.message_id for e in events])
        if self.unavailable:
            self.unavailable -= 1
            raise exceptions.StorageUnavailable(
                "The database is unavailable: connection refused"
            )
        if self.broken_ids & {e.message_id for e in events}:
            raise RuntimeError("value out of range")
        stored = [
            e.message_id for e in events if e.message_id not in self.events
        ]
        for e in events:
            self.events.setdefault(e.message_id, e)
        return stored

    def upgrade(self):
        raise AssertionError("not used by the listener")

    clear = ping = close = get_event_types = get_trait_types = upgrade
    _trait_values = upgrade
    _get_events = _count_events = upgrade
    _delete_events_before = _delete_unused_event_types = upgrade


class RecordedDeadLetters:
    def __init__(self):
        self.sent = []
        self.failing = False

    def send(self, message, payload, reasons):
        if self.failing:
            raise deadletter.DeadLetterFailure("broker gone")
        self.sent.append(
            (
                (message.get("metadata") or {}).get("message_id"),
                payload,
                reasons,
            )
        )


def event(message_id, **changes):
    data = {
        "message_id": message_id,
        "event_type": "compute.instance.x",
        "generated": "2024-05-17T12:30:45",
        "traits": [],
        "raw": {},
    }
    data.update(changes)
    return data


def message(message_id, *events):
    return {
        "ctxt": {},
        "publisher_id": "telemetry.publisher.h",
        "event_type": "event",
        "payload": list(events),
        "metadata": {"message_id": message_id, "timestamp": "now"},
    }


@pytest.fixture
def store(conf):
    return MemoryStore(conf)


@pytest.fixture
def dead():
    return RecordedDeadLetters()


@pytest.fixture
def handler(conf, store, dead):
    conf.set_override("retry_interval", 0.01, "listener")
    conf.set_override("max_retry_interval", 0.02, "listener")
    conf.set_override("max_delivery_attempts", 3, "listener")
    return endpoint.EventsEndpoint(conf, store, dead, threading.Event())


def test_a_batch_is_stored_in_one_call_and_acknowledged(handler, store, dead):
    batch = [
        message("n-1", event("e-1"), event("e-2")),
        message("n-2", event("e-3")),
    ]
    assert handler.sample(batch) == HANDLED
    assert store.calls == [["e-1", "e-2", "e-3"]]
    assert sorted(store.events) == ["e-1", "e-2", "e-3"]
    assert dead.sent == []


def test_redelivery_is_harmless(handler, store):
    batch = [message("n-1", event("e-1"))]
    assert handler.sample(batch) == HANDLED
    assert handler.sample(batch) == HANDLED
    assert list(store.events) == ["e-1"]


def test_an_unavailable_database_requeues_and_never_dead_letters(
    handler, store, dead, caplog
):
    caplog.set_level(logging.INFO)
    store.unavailable = 4
    batch = [message("n-1", event("e-1")), message("n-2", "garbage")]
    results = [handler.sample(batch) for _ in range(5)]
    assert results == [REQUEUE] * 4 + [HANDLED]
    assert list(store.events) == ["e-1"]
    # The garbage is dead-lettered once, by the batch that committed.
    assert [(m, r) for m, _, r in dead.sent] == [
        ("n-2", ["event 0: an event must be a JSON object, not a string"])
    ]
    waits = [
        r
        for r in caplog.records
        if "The database is unavailable" in r.getMessage()
    ]
    assert len(waits) == 4
    assert "The listener keeps running" in waits[0].getMessage()
    assert any("Storing works again" in r.getMessage() for r in caplog.records)


def test_a_missing_schema_waits_for_dbsync(handler, store, dead, caplog):
    store.schema_ready = False
    batch = [message("n-1", event("e-1"))]
    assert handler.sample(batch) == REQUEUE
    assert "run panko-dbsync" in caplog.text
    store.schema_ready = True
    assert handler.sample(batch) == HANDLED
    assert list(store.events) == ["e-1"]
    assert dead.sent == []


def test_poison_messages_go_to_dead_letter_and_the_rest_is_stored(
    handler, store, dead
):
    big = event("e-big", raw={"blob": "x" * 2_000_000})
    batch = [
        message("n-1", event("e-1"), event("e-2", generated="soon")),
        message("n-2", {"not": "an event"}),
        message("n-3", big, event("e-3")),
        {"payload": "no envelope at all"},
    ]
    assert handler.sample(batch) == HANDLED
    assert sorted(store.events) == ["e-1", "e-3"]
    by_message = {m: (payload, reasons) for m, payload, reasons in dead.sent}
    assert by_message["n-1"][0] == [event("e-2", generated="soon")]
    assert "ISO 8601" in by_message["n-1"][1][0]
    assert by_message["n-2"][0] == [{"not": "an event"}]
    assert by_message["n-3"][0] == [big]
    assert "refused by the storage" in by_message["n-3"][1][0]
    assert "max_raw_size" in by_message["n-3"][1][0]
    assert len(dead.sent) == 4


def test_a_message_breaking_the_store_is_isolated_then_dead_lettered(
    handler, store, dead
):
    store.broken_ids = {"e-bad"}
    batch = [
        message("n-1", event("e-1")),
        message("n-2", event("e-2"), event("e-bad")),
        message("n-3", event("e-3")),
    ]
    # Attempts 1 and 2 requeue the batch; the good messages are stored by
    # the first and skipped after.
    assert handler.sample(batch) == REQUEUE
    assert sorted(store.events) == ["e-1", "e-3"]
    assert handler.sample(batch) == REQUEUE
    assert dead.sent == []
    assert handler.sample(batch) == HANDLED
    assert sorted(store.events) == ["e-1", "e-3"]
    [(message_id, payload, reasons)] = dead.sent
    assert message_id == "n-2"
    assert payload == [event("e-2"), event("e-bad")]
    assert reasons[0].startswith("storing failed 3 times")
    assert "value out of range" in reasons[0]


def test_a_dead_letter_that_cannot_be_published_requeues(handler, store, dead):
    dead.failing = True
    batch = [message("n-1", event("e-1")), message("n-2", 42)]
    assert handler.sample(batch) == REQUEUE
    dead.failing = False
    assert handler.sample(batch) == HANDLED
    assert [m for m, _, _ in dead.sent] == ["n-2"]
    assert list(store.events) == ["e-1"]


def test_a_stopping_listener_requeues_at_once(conf, store, dead):
    stopping = threading.Event()
    stopping.set()
    handler = endpoint.EventsEndpoint(conf, store, dead, stopping)
    assert handler.sample([message("n-1", event("e-1"))]) == REQUEUE
    assert store.events == {}


def test_a_batch_of_only_garbage_needs_no_database(handler, store, dead):
    store.unavailable = 0
    batch = [message("n-1", "x"), message("n-2")]
    assert handler.sample(batch) == HANDLED
    assert store.calls == []
    assert [m for m, _, _ in dead.sent] == ["n-1"]


def test_a_message_the_checks_choke_on_is_dead_lettered(
    handler, store, dead, monkeypatch
):
    real = endpoint.convert.delivery

    def choke(message, secret):
        if message["metadata"]["message_id"] == "n-2":
            raise KeyError("surprise")
        return real(message, secret)

    monkeypatch.setattr(endpoint.convert, "delivery", choke)
    batch = [message("n-1", event("e-1")), message("n-2", event("e-2"))]
    assert handler.sample(batch) == HANDLED
    assert list(store.events) == ["e-1"]
    [(message_id, payload, reasons)] = dead.sent
    assert message_id == "n-2" and payload == [event("e-2")]
    assert reasons == ["the payload cannot be read: KeyError('surprise')"]


def test_an_unexpected_failure_waits_and_requeues(
    handler, store, dead, caplog
):
    store.refusing = True
    batch = [message("n-1", event("e-1")), message("n-2", "x")]
    assert handler.sample(batch) == REQUEUE
    assert "permission denied" in caplog.text
    assert "next attempt in" in caplog.text
    assert dead.sent == [] and store.events == {}
    store.refusing = False
    assert handler.sample(batch) == HANDLED
    assert list(store.events) == ["e-1"]
