"""What the listener's functional tests need around the listener.

* ``Bus``: a private exchange and topic on the test RabbitMQ, a publisher
  that sends exactly as Ceilometer's ``notifier://`` event publisher does
  (oslo.messaging Notifier, driver ``messagingv2``, no serializer,
  priority ``sample``, event_type = topic, payload = a list of
  ``Event.serialize()`` dicts with ``message_signature``), and kombu to
  look into queues and remove everything at the end.

``panko.tests.faultproxy`` makes a server unreachable without touching
the shared one.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import time
import uuid

import kombu
from oslo_config import cfg
import oslo_messaging
from oslo_messaging import opts as messaging_opts

from panko.listener import signature
from panko.storage import models

RABBIT_URL = os.environ.get(
    "PANKO_TEST_RABBIT_URL", "rabbit://guest:guest@127.0.0.1:5672/"
)
PUBLISHER_ID = "telemetry.publisher.test-host"


def wait_until(predicate, timeout=20.0, interval=0.05, what="condition"):
    """Poll ``predicate`` until it is true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                "Timed out after %.0f s waiting for %s" % (timeout, what)
            )
        time.sleep(interval)


def ceilometer_event(index: int, secret: str | None = None, **changes) -> dict:
    """An event as Ceilometer's message_from_event() makes it."""
    data = {
        "message_id": str(uuid.uuid4()),
        "event_type": "compute.instance.create.end",
        "generated": (
            datetime.datetime(2024, 5, 17, 12, 0, 0)
            + datetime.timedelta(seconds=index)
        ).isoformat(),
        "traits": [
            ["project_id", 1, "project-%d" % (index % 3)],
            ["instance_id", 1, "instance-%d" % index],
            ["vcpus", 2, index % 8 + 1],
            ["memory_mb", 3, 512.0 * (index % 4 + 1)],
            ["launched_at", 4, "2024-05-17T11:59:00.000001"],
        ],
        "raw": {
            "event_type": "compute.instance.create.end",
            "payload": {"index": index, "tags": ["a", {"b": None}]},
        },
    }
    data.update(changes)
    data["message_signature"] = (
        signature.compute(data, secret) if secret else ""
    )
    return data


def stored_events(connection) -> list[models.Event]:
    """Every stored event, as a reader of panko sees them.

    Read through the storage interface until the REST API is merged;
    switching these tests to ``GET /v2/events`` only changes this
    function.
    """
    return list(connection.get_events(models.EventFilter()))


class Bus:
    """A private exchange and topic on the test broker."""

    def __init__(self, url: str = RABBIT_URL):
        suffix = uuid.uuid4().hex[:12]
        self.url = url
        self.exchange = "panko_test_%s" % suffix
        self.topic = "event_%s" % suffix
        self.queue = self.topic + ".sample"
        self.dead_queue = self.topic + ".dead.sample"
        self._conf = cfg.ConfigOpts()
        self._conf([], project="panko-test", default_config_files=[])
        for group, opts in messaging_opts.list_opts():
            self._conf.register_opts(opts, group=group)
        # What ceilometer.messaging.setup() makes the default exchange.
        self._conf.set_override("control_exchange", self.exchange)
        self.transport = oslo_messaging.get_notification_transport(
            self._conf, url
        )
        self.notifier = oslo_messaging.Notifier(
            self.transport,
            driver="messagingv2",
            publisher_id=PUBLISHER_ID,
            topics=[self.topic],
        )
        self._kombu = kombu.Connection(url.replace("rabbit://", "amqp://", 1))

    def publish(self, payload) -> None:
        """Send ``payload`` as Ceilometer's EventNotifierPublisher does."""
        self.notifier.sample({}, event_type=self.topic, payload=payload)

    def publish_body(self, body: str) -> None:
        """Put a message with any body on the event queue."""
        with self._kombu.Producer() as producer:
            producer.publish(
                body,
                exchange=self.exchange,
                routing_key=self.queue,
                content_type="application/json",
            )

    def publish_envelope(self, priority, payload) -> None:
        """Put a notification claiming ``priority`` on the event queue,
        in oslo.messaging's envelope."""
        message = {
            "message_id": str(uuid.uuid4()),
            "publisher_id": PUBLISHER_ID,
            "event_type": self.topic,
            "priority": priority,
            "payload": payload,
            "timestamp": "2024-05-17 12:00:00.000000",
        }
        self.publish_body(
            json.dumps(
                {"oslo.version": "2.0", "oslo.message": json.dumps(message)}
            )
        )

    def depth(self, queue: str) -> tuple[int, int]:
        """Messages ready in ``queue`` and its consumers; (0, 0) when it
        does not exist."""
        channel = self._kombu.channel()
        try:
            _, messages, consumers = channel.queue_declare(queue, passive=True)
            return messages, consumers
        except Exception:
            return 0, 0
        finally:
            with contextlib.suppress(Exception):
                channel.close()

    def take(self, queue: str) -> list[dict]:
        """Remove and return the notifications in ``queue``, decoded from
        oslo.messaging's envelope."""
        taken = []
        channel = self._kombu.channel()
        try:
            while True:
                message = channel.basic_get(queue, no_ack=True)
                if message is None:
                    return taken
                body = json.loads(message.body)
                taken.append(json.loads(body["oslo.message"]))
        finally:
            channel.close()

    def cleanup(self) -> None:
        self.transport.cleanup()
        # A channel per deletion: a failed one closes its channel.
        for queue in (self.queue, self.dead_queue):
            with contextlib.suppress(Exception), self._kombu.channel() as ch:
                ch.queue_delete(queue)
        with contextlib.suppress(Exception), self._kombu.channel() as ch:
            ch.exchange_delete(self.exchange)
        self._kombu.release()
