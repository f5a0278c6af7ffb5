"""The dead-letter place: where messages that can never be stored go.

Each such message is logged at ERROR with its content (cut to a readable
length) and published, whole, as a notification of priority ``sample`` on
the dead-letter topic of the listener's exchange. RabbitMQ keeps these in
the queue ``<dead_letter_topic>.sample`` (the publisher declares it), where
an operator can read them, and from where they can be sent back to the
event topic once the cause is fixed: the payload is what was not stored,
in the form it arrived, and storage skips events already stored.
"""

from __future__ import annotations

import json
import reprlib
from typing import Any
import uuid

from oslo_log import log
import oslo_messaging
from oslo_utils import timeutils

LOG = log.getLogger(__name__)

# How much of a dead letter's content its log line shows.
LOG_EXCERPT = 2000
# Attempts to hand a dead letter to the broker before the batch is
# requeued instead.
PUBLISH_RETRY = 2


class DeadLetterFailure(Exception):
    """A dead letter could not be handed to the message bus."""


class DeadLetters:
    """Publishes dead letters on ``topic`` of ``exchange``."""

    def __init__(
        self,
        transport: oslo_messaging.Transport,
        exchange: str,
        topic: str,
        listener_id: str,
    ):
        self.exchange = exchange
        self.topic = topic
        self.queue = "%s.sample" % topic
        self._transport = transport
        self._listener_id = listener_id

    def send(self, message: dict, payload: Any, reasons: list[str]) -> None:
        """Log and publish ``payload``, what remains of ``message``.

        The notification keeps the original publisher_id and event_type,
        so that sent back to the event topic it reads as the original; the
        reasons and the original message_id travel in its context under
        ``panko_dead_letter``.
        """
        metadata = message.get("metadata") or {}
        context = {
            "panko_dead_letter": {
                "reasons": reasons,
                "message_id": metadata.get("message_id"),
                "timestamp": metadata.get("timestamp"),
                "listener": self._listener_id,
                "dead_lettered_at": timeutils.utcnow().isoformat(),
            }
        }
        try:
            json.dumps(payload)
        except (RecursionError, TypeError, ValueError) as e:
            # It came as JSON, but may not go back: keep what can be.
            reasons = reasons + [
                "its content cannot be encoded again "
                "(%r): the dead letter holds an excerpt" % e
            ]
            payload = excerpt(payload)
            context["panko_dead_letter"]["reasons"] = reasons
        where = {
            "id": metadata.get("message_id"),
            "publisher": message.get("publisher_id"),
            "reasons": "; ".join(reasons),
            "queue": self.queue,
            "exchange": self.exchange,
            "content": excerpt(payload),
        }
        try:
            publish(
                self._transport,
                self.exchange,
                self.topic,
                context,
                message,
                payload,
            )
        except DeadLetterFailure as e:
            where["error"] = e
            LOG.error(
                "Message %(id)s from %(publisher)s cannot be stored "
                "(%(reasons)s) and could not be put in the "
                "dead-letter queue %(queue)s of exchange "
                "%(exchange)s (%(error)s); it stays in its queue. "
                "Content: %(content)s",
                where,
            )
            raise
        LOG.error(
            "Message %(id)s from %(publisher)s cannot be stored "
            "(%(reasons)s); it is now in the dead-letter queue "
            "%(queue)s of exchange %(exchange)s. Content: %(content)s",
            where,
        )


def publish(
    transport: oslo_messaging.Transport,
    exchange: str,
    topic: str,
    context: dict,
    message: dict,
    payload: Any,
) -> None:
    """Publish ``payload`` as a notification of priority ``sample`` on
    ``topic``, with the publisher_id and event_type of ``message``; raise
    DeadLetterFailure unless the broker took it."""
    notification = {
        "message_id": str(uuid.uuid4()),
        "publisher_id": message.get("publisher_id"),
        "event_type": message.get("event_type"),
        "priority": "SAMPLE",
        "payload": payload,
        "timestamp": str(timeutils.utcnow()),
    }
    target = oslo_messaging.Target(
        exchange=exchange, topic="%s.sample" % topic
    )
    try:
        # Not oslo_messaging.Notifier: it logs and swallows delivery
        # failures, and a message must not be acknowledged before what
        # replaces it is safely with the broker.
        transport._send_notification(
            target, context, notification, version=2.0, retry=PUBLISH_RETRY
        )
    except Exception as e:
        raise DeadLetterFailure(
            "cannot publish to %s: %s" % (target.topic, e)
        ) from e


def excerpt(value: Any, limit: int = LOG_EXCERPT) -> str:
    """``value`` as JSON text, cut to ``limit`` characters with the full
    length said; NUL and other control characters are escaped."""
    try:
        text = json.dumps(value, default=repr)
    except (RecursionError, ValueError):
        text = reprlib.repr(value)
    if len(text) <= limit:
        return text
    return "%s... (%d characters in all)" % (text[:limit], len(text))
