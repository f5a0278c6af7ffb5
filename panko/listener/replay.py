"""Sending dead letters back to the event topic once their cause is fixed.

``panko-listener --replay-dead-letters`` takes the messages of the
dead-letter queue one at a time, publishes each again on the first event
topic (as it came: same payload, publisher_id and event_type) and then
acknowledges it, so the running listeners store it. It stops when the
queue has been quiet for a moment, or when it meets a letter dead-lettered
after it started: a message that still cannot be stored comes back once,
not forever. Events already stored are skipped, so replaying twice is
harmless.
"""

from __future__ import annotations

import datetime
import threading
import time

from oslo_config import cfg
from oslo_log import log
import oslo_messaging
from oslo_utils import timeutils

from panko.listener import deadletter
from panko.listener import dispatch
from panko.listener import server

LOG = log.getLogger(__name__)

HANDLED = oslo_messaging.NotificationResult.HANDLED
REQUEUE = oslo_messaging.NotificationResult.REQUEUE

# Seconds without a dead letter after which the queue is taken as empty.
QUIET = 2.0


class ReplayEndpoint:
    """Republishes the dead letters that are older than ``started``."""

    def __init__(
        self,
        transport: oslo_messaging.Transport,
        exchange: str,
        topic: str,
        started: datetime.datetime,
    ):
        self._transport = transport
        self._exchange = exchange
        self._topic = topic
        self._started = started
        self.done = threading.Event()
        self.replayed = 0
        self.last_seen = time.monotonic()

    def sample(self, messages: list[dict]) -> str:
        """Replay one dead letter (the listener gives batches of one)."""
        [message] = messages
        self.last_seen = time.monotonic()
        if self.done.is_set() or self._is_new(message):
            self.done.set()
            return REQUEUE
        try:
            deadletter.publish(
                self._transport,
                self._exchange,
                self._topic,
                {},
                message,
                message.get("payload"),
            )
        except deadletter.DeadLetterFailure as e:
            LOG.error("Replay stopped: %s", e)
            self.done.set()
            return REQUEUE
        self.replayed += 1
        return HANDLED

    def _is_new(self, message: dict) -> bool:
        info = (message.get("ctxt") or {}).get("panko_dead_letter") or {}
        when = info.get("dead_lettered_at")
        if not isinstance(when, str):
            return False
        try:
            return (
                timeutils.parse_isotime(when).replace(tzinfo=None)
                >= self._started
            )
        except ValueError:
            return False


def run(conf: cfg.ConfigOpts) -> int:
    """Replay the dead-letter queue; return the exit status."""
    server.set_messaging_defaults(conf)
    exchange = conf.listener.exchange
    topic = conf.listener.topics[0]
    dead_topic = server.dead_letter_topic(conf)
    transport = oslo_messaging.get_notification_transport(conf)
    replayer = ReplayEndpoint(transport, exchange, topic, timeutils.utcnow())
    listener = dispatch.batch_listener(
        transport,
        [oslo_messaging.Target(exchange=exchange, topic=dead_topic)],
        replayer,
        batch_size=1,
        batch_timeout=0.2,
    )
    listener.start(override_pool_size=1)
    replayer.last_seen = time.monotonic()
    try:
        while not replayer.done.wait(0.2):
            if time.monotonic() - replayer.last_seen > QUIET:
                break
    finally:
        replayer.done.set()
        listener.stop()
        listener.wait()
        transport.cleanup()
    LOG.info(
        "%d dead letters of queue %s.sample sent back to topic %s of "
        "exchange %s",
        replayer.replayed,
        dead_topic,
        topic,
        exchange,
    )
    return 0
