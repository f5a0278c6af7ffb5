"""panko-listener on the real RabbitMQ and databases of this machine."""

from __future__ import annotations

import logging
import time

import pytest

from panko import storage
from panko.listener import replay
from panko.storage import models
from panko.tests import faultproxy
from panko.tests.functional.listener import support

SECRET = "shared telemetry secret"


def published(
    bus,
    messages: int,
    per_message: int,
    start: int = 0,
    secret: str | None = SECRET,
) -> list[dict]:
    """Publish ``messages`` notifications of ``per_message`` events;
    return the events."""
    events = []
    for m in range(messages):
        payload = [
            support.ceilometer_event(start + m * per_message + e, secret)
            for e in range(per_message)
        ]
        bus.publish(payload)
        events.extend(payload)
    return events


def wait_for_stored(connection, count: int, timeout: float = 20.0):
    return support.wait_until(
        lambda: len(support.stored_events(connection)) >= count or None,
        timeout=timeout,
        what="%d stored events" % count,
    )


def assert_stored_exactly(connection, events: list[dict]):
    stored = support.stored_events(connection)
    ids = [e.message_id for e in stored]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(e["message_id"] for e in events)


@pytest.mark.backends("postgresql", "mysql")
def test_events_published_like_ceilometer_are_stored(
    bus, listener_conf, start_listener, storage_conn
):
    listener_conf.set_override("telemetry_secret", SECRET, "listener")
    start_listener()
    events = published(bus, messages=5, per_message=3)
    wait_for_stored(storage_conn, 15)
    assert_stored_exactly(storage_conn, events)

    sent = events[4]
    [got] = storage_conn.get_events(
        models.EventFilter(message_id=sent["message_id"])
    )
    assert got.event_type == "compute.instance.create.end"
    assert got.generated.isoformat() == sent["generated"]
    assert got.raw == sent["raw"]
    traits = {t.name: (t.dtype, t.value) for t in got.traits}
    assert traits["vcpus"] == (models.INT_TYPE, 5)
    assert traits["memory_mb"] == (models.FLOAT_TYPE, 512.0)
    assert traits["launched_at"][1].isoformat() == "2024-05-17T11:59:00.000001"
    assert traits["project_id"] == (models.TEXT_TYPE, "project-1")
    # Every message acknowledged, none dead-lettered.
    support.wait_until(
        lambda: bus.depth(bus.queue) == (0, 1),
        what="an empty queue with one consumer",
    )
    assert bus.depth(bus.dead_queue) == (0, 0)


@pytest.mark.backends("postgresql")
def test_database_outage_every_event_arrives_once(
    bus, listener_conf, start_listener, storage_conn, caplog
):
    caplog.set_level(logging.INFO)
    proxy = faultproxy.FaultProxy("127.0.0.1", 5432)
    try:
        url = storage_conn.url.replace(
            "127.0.0.1:5432", "127.0.0.1:%d" % proxy.port
        )
        assert url != storage_conn.url
        start_listener(storage.get_connection(listener_conf, url))
        before = published(bus, messages=4, per_message=2)
        wait_for_stored(storage_conn, 8)

        proxy.refuse()
        during = published(bus, messages=30, per_message=2, start=100)
        outage_started = time.monotonic()
        support.wait_until(
            lambda: caplog.text.count("The database is unavailable") >= 3,
            what="the listener saying it waits for the database",
        )
        time.sleep(max(0.0, 3.0 - (time.monotonic() - outage_started)))
        assert len(support.stored_events(storage_conn)) == 8
        ready, consumers = bus.depth(bus.queue)
        assert consumers == 1
        # Prefetch holds at most two batches of 10; the rest waits in the
        # queue.
        assert ready >= 30 - 20
        assert "The listener keeps running" in caplog.text

        proxy.resume()
        wait_for_stored(storage_conn, 68, timeout=30)
        support.wait_until(
            lambda: bus.depth(bus.queue) == (0, 1),
            what="every message acknowledged",
        )
        assert_stored_exactly(storage_conn, before + during)
        assert "Storing works again" in caplog.text
        assert bus.depth(bus.dead_queue) == (0, 0)
    finally:
        proxy.close()


@pytest.mark.backends("postgresql")
def test_poison_messages_end_in_the_dead_letter_queue(
    bus, listener_conf, start_listener, storage_conn, caplog
):
    listener_conf.set_override("telemetry_secret", SECRET, "listener")
    listener_conf.set_override("max_raw_size", 1024, "database")
    start_listener()
    good = published(bus, messages=1, per_message=2)
    bus.publish({"message_id": "not in a list"})
    late = support.ceilometer_event(10, SECRET)
    invalid = support.ceilometer_event(11, SECRET, generated="yesterday")
    bus.publish([invalid, late])
    nul = support.ceilometer_event(12, SECRET, event_type="compute\x00x")
    bus.publish([nul])
    huge = support.ceilometer_event(13, SECRET, raw={"blob": "x" * 5000})
    bus.publish([huge])
    forged = support.ceilometer_event(14, "not the secret")
    bus.publish([forged])
    bus.publish("\x00\x00 not events")
    # Not a notification: dead-lettered whole.
    bus.publish_body('{"hello": "world"}')
    # Not JSON: oslo.messaging drops it before any endpoint sees it; the
    # listener must go on.
    bus.publish_body("this is not JSON")
    good += published(bus, messages=1, per_message=2, start=20)

    dead = support.wait_until(
        lambda: bus.depth(bus.dead_queue)[0] == 7 or None,
        what="seven dead letters",
    )
    wait_for_stored(storage_conn, 5)
    assert_stored_exactly(storage_conn, good + [late])
    support.wait_until(
        lambda: bus.depth(bus.queue) == (0, 1),
        what="every message acknowledged",
    )

    letters = bus.take(bus.dead_queue)
    assert dead and len(letters) == 7
    payloads = [letter["payload"] for letter in letters]
    assert payloads == [
        {"message_id": "not in a list"},
        [invalid],
        [nul],
        [huge],
        [forged],
        "\x00\x00 not events",
        {"hello": "world"},
    ]
    assert letters[6]["publisher_id"] is None
    letters = letters[:6]
    for letter in letters:
        assert letter["priority"] == "SAMPLE"
        assert letter["event_type"] == bus.topic
        assert letter["publisher_id"] == support.PUBLISHER_ID
        info = letter["_context_panko_dead_letter"]
        assert info["message_id"] and info["reasons"]
    reasons = [
        letter["_context_panko_dead_letter"]["reasons"][0]
        for letter in letters
    ]
    assert "payload must be a list" in reasons[0]
    assert "ISO 8601" in reasons[1]
    assert "NUL" in reasons[2]
    assert "max_raw_size" in reasons[3]
    assert "message_signature does not match" in reasons[4]
    assert "payload must be a list" in reasons[5]
    # One ERROR line per dead letter, naming the queue and the content.
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.ERROR and "dead-letter queue" in r.getMessage()
    ]
    assert len(lines) == 7
    assert all(bus.dead_queue in line for line in lines)
    assert 'Content: "\\u0000\\u0000 not events"' in lines[5]
    assert "... (5" in lines[3] and "characters in all)" in lines[3]


@pytest.mark.backends("postgresql")
def test_whatever_priority_a_message_claims_it_is_handled(
    bus, listener_conf, start_listener, storage_conn
):
    # oslo.messaging's own dispatcher would requeue a batch holding a
    # message whose priority is not a string forever, and drop unread a
    # message of a priority the endpoint has no method for.
    start_listener()
    first = published(bus, messages=1, per_message=1, secret=None)
    bus.publish_envelope(5, "garbage")
    unnamed = support.ceilometer_event(10)
    bus.publish_envelope(None, [unnamed])
    info = support.ceilometer_event(11)
    bus.publish_envelope("INFO", [info])
    last = published(bus, messages=1, per_message=1, start=20, secret=None)
    wait_for_stored(storage_conn, 4)
    assert_stored_exactly(storage_conn, first + [unnamed, info] + last)
    support.wait_until(
        lambda: bus.depth(bus.dead_queue)[0] == 1 or None,
        what="one dead letter",
    )
    [letter] = bus.take(bus.dead_queue)
    assert letter["payload"] == "garbage"
    assert bus.depth(bus.queue) == (0, 1)


class BrokenFor:
    """A storage connection that fails unexpectedly on some events."""

    def __init__(self, connection, message_ids):
        self._connection = connection
        self._broken = set(message_ids)
        self.failures = 0

    def record_events(self, events):
        events = list(events)
        if self._broken & {e.message_id for e in events}:
            self.failures += 1
            raise RuntimeError("numeric value out of range")
        return self._connection.record_events(events)

    def __getattr__(self, name):
        return getattr(self._connection, name)


@pytest.mark.backends("postgresql")
def test_a_message_the_storage_keeps_failing_on_is_dead_lettered(
    bus, listener_conf, start_listener, storage_conn
):
    listener_conf.set_override("max_delivery_attempts", 3, "listener")
    listener_conf.set_override("retry_interval", 0.05, "listener")
    bad = support.ceilometer_event(1)
    broken = BrokenFor(
        storage.get_connection(listener_conf, storage_conn.url),
        [bad["message_id"]],
    )
    start_listener(broken)
    good = published(bus, messages=3, per_message=2, start=10, secret=None)
    bus.publish([bad])
    good += published(bus, messages=3, per_message=2, start=20, secret=None)

    support.wait_until(
        lambda: bus.depth(bus.dead_queue)[0] == 1 or None,
        what="one dead letter",
    )
    support.wait_until(
        lambda: bus.depth(bus.queue) == (0, 1),
        what="every message acknowledged",
    )
    assert_stored_exactly(storage_conn, good)
    [letter] = bus.take(bus.dead_queue)
    assert letter["payload"] == [bad]
    reason = letter["_context_panko_dead_letter"]["reasons"][0]
    assert reason.startswith("storing failed 3 times")
    # Each attempt: the whole batch once, then the message alone.
    assert broken.failures == 6


@pytest.mark.backends("postgresql")
def test_broker_outage_the_listener_reconnects(
    bus, listener_conf, start_listener, storage_conn
):
    proxy = faultproxy.FaultProxy("127.0.0.1", 5672)
    try:
        listener_conf.set_override(
            "transport_url",
            support.RABBIT_URL.replace(
                "127.0.0.1:5672", "127.0.0.1:%d" % proxy.port
            ),
        )
        listener_conf.set_override(
            "rabbit_interval_max", 2, "oslo_messaging_rabbit"
        )
        start_listener()
        before = published(bus, messages=3, per_message=2)
        wait_for_stored(storage_conn, 6)

        proxy.refuse()
        support.wait_until(
            lambda: bus.depth(bus.queue)[1] == 0,
            what="the broker seeing the consumer gone",
        )
        during = published(bus, messages=20, per_message=1, start=100)
        time.sleep(1.0)
        assert len(support.stored_events(storage_conn)) == 6
        # Messages stored but not yet acknowledged when the connection
        # went are back in the queue too: redelivered, they are skipped.
        ready, consumers = bus.depth(bus.queue)
        assert consumers == 0 and 20 <= ready <= 26

        proxy.resume()
        wait_for_stored(storage_conn, 26, timeout=40)
        support.wait_until(
            lambda: bus.depth(bus.queue) == (0, 1),
            what="every message acknowledged",
        )
        assert_stored_exactly(storage_conn, before + during)
    finally:
        proxy.close()


@pytest.mark.backends("postgresql")
def test_dead_letters_are_replayed_once_their_cause_is_fixed(
    bus, listener_conf, start_listener, storage_conn
):
    listener_conf.set_override("max_raw_size", 1024, "database")
    first = start_listener()
    huge = [
        support.ceilometer_event(i, raw={"blob": "x" * 5000}) for i in range(2)
    ]
    bus.publish(huge[:1])
    bus.publish(huge[1:])
    invalid = support.ceilometer_event(3, generated="never")
    bus.publish([invalid])
    support.wait_until(
        lambda: bus.depth(bus.dead_queue)[0] == 3 or None,
        what="three dead letters",
    )
    first.stop()

    listener_conf.set_override("max_raw_size", 1024 * 1024, "database")
    start_listener()
    assert replay.run(listener_conf) == 0
    wait_for_stored(storage_conn, 2)
    assert_stored_exactly(storage_conn, huge)
    # What still cannot be stored is back in the queue, once.
    support.wait_until(
        lambda: bus.depth(bus.dead_queue)[0] == 1 or None,
        what="the invalid message dead-lettered again",
    )
    time.sleep(0.5)
    [letter] = bus.take(bus.dead_queue)
    assert letter["payload"] == [invalid]
