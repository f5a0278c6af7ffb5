import logging

import pytest

from panko.listener import deadletter


class Transport:
    def __init__(self, error=None):
        self.sent = []
        self.error = error

    def _send_notification(self, target, ctxt, message, version, retry):
        if self.error:
            raise self.error
        self.sent.append((target, ctxt, message, version, retry))


MESSAGE = {
    "ctxt": {},
    "publisher_id": "telemetry.publisher.h",
    "event_type": "event",
    "payload": "garbage",
    "metadata": {"message_id": "n-1", "timestamp": "t"},
}


def test_a_dead_letter_keeps_the_original_and_says_why(caplog):
    transport = Transport()
    letters = deadletter.DeadLetters(
        transport, "ceilometer", "event.dead", "panko.listener.h"
    )
    letters.send(MESSAGE, "garbage", ["not a list"])
    [(target, ctxt, message, version, retry)] = transport.sent
    assert (target.exchange, target.topic) == (
        "ceilometer",
        "event.dead.sample",
    )
    assert version == 2.0 and retry == deadletter.PUBLISH_RETRY
    assert message["payload"] == "garbage"
    assert message["priority"] == "SAMPLE"
    assert message["publisher_id"] == "telemetry.publisher.h"
    assert message["event_type"] == "event"
    assert message["message_id"] != "n-1"
    info = ctxt["panko_dead_letter"]
    assert info["reasons"] == ["not a list"]
    assert info["message_id"] == "n-1"
    assert info["listener"] == "panko.listener.h"
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "now in the dead-letter queue event.dead.sample" in (
        record.getMessage()
    )


def test_a_dead_letter_the_broker_refuses_raises(caplog):
    transport = Transport(error=RuntimeError("connection refused"))
    letters = deadletter.DeadLetters(
        transport, "ceilometer", "event.dead", "panko.listener.h"
    )
    with pytest.raises(deadletter.DeadLetterFailure, match="refused"):
        letters.send(MESSAGE, "garbage", ["not a list"])
    assert "it stays in its queue" in caplog.text


def test_excerpt_escapes_and_cuts():
    assert deadletter.excerpt("a\x00b") == '"a\\u0000b"'
    long = deadletter.excerpt(["x" * 5000], limit=10)
    assert long == '["xxxxxxxx... (5004 characters in all)'


def test_content_that_cannot_be_encoded_leaves_an_excerpt(caplog):
    deep = top = []
    for _ in range(5000):
        deep.append([])
        deep = deep[0]
    transport = Transport()
    letters = deadletter.DeadLetters(
        transport, "ceilometer", "event.dead", "panko.listener.h"
    )
    letters.send(MESSAGE, top, ["nested too deeply"])
    [(_, ctxt, message, _, _)] = transport.sent
    assert isinstance(message["payload"], str)
    assert message["payload"].startswith("[[[")
    reasons = ctxt["panko_dead_letter"]["reasons"]
    assert reasons[0] == "nested too deeply"
    assert "cannot be encoded again" in reasons[1]
    assert "cannot be encoded again" in caplog.text
