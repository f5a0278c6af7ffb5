"""Handing each batch from the bus to the listener's endpoint.

oslo.messaging's batch dispatcher sorts a batch by the priority each
message claims, reading it with ``.lower()``: one message whose priority
is not a string makes it fail for the whole batch, which is then requeued
and redelivered at once, forever, with the good messages in it; and it
acknowledges, unread, a message whose priority has no endpoint method.
Everything on panko's queues is meant for panko, so this dispatcher gives
every message of the batch to the one endpoint, whatever priority it
claims: the endpoint stores what it can and dead-letters the rest.
(A body that is not JSON at all never gets here: oslo.messaging logs and
drops it when it arrives.)
"""

from __future__ import annotations

from typing import Any

import oslo_messaging
from oslo_messaging.notify import dispatcher
from oslo_messaging.notify import listener


class EndpointDispatcher(dispatcher.BatchNotificationDispatcher):
    """Dispatches whole batches to ``endpoint.sample``; the queues are
    still those of priority ``sample``."""

    def __init__(self, endpoint: Any):
        super().__init__([endpoint], None)
        self._endpoint = endpoint

    def dispatch(self, incoming: list) -> set:
        """Return the messages to requeue: all of them or none."""
        result = self._endpoint.sample([_user_message(m) for m in incoming])
        if result == oslo_messaging.NotificationResult.REQUEUE:
            return set(incoming)
        return set()


def _user_message(incoming: Any) -> dict:
    """A message as oslo.messaging gives it to notification endpoints; a
    message that is no notification is its own payload, so that it is
    dead-lettered whole."""
    message = incoming.message
    return {
        "ctxt": incoming.ctxt,
        "publisher_id": message.get("publisher_id"),
        "event_type": message.get("event_type"),
        "payload": message.get("payload", dict(message)),
        "metadata": {
            "message_id": message.get("message_id"),
            "timestamp": message.get("timestamp"),
        },
    }


def batch_listener(
    transport: oslo_messaging.Transport,
    targets: list[oslo_messaging.Target],
    endpoint: Any,
    batch_size: int,
    batch_timeout: float,
) -> oslo_messaging.MessageHandlingServer:
    """oslo.messaging's batch notification listener on ``targets``, with
    requeueing allowed, dispatching to ``endpoint``."""
    return listener.BatchNotificationServer(
        transport,
        targets,
        EndpointDispatcher(endpoint),
        executor="threading",
        allow_requeue=True,
        pool=None,
        batch_size=batch_size,
        batch_timeout=batch_timeout,
    )
