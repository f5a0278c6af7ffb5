"""One listener process: consume the event topics until asked to stop.

The listener uses oslo.messaging's batch notification listener (with the
dispatcher of ``dispatch``) on the transport of ``[DEFAULT]
transport_url`` (or ``[oslo_messaging_notifications] transport_url``), as
Ceilometer does. Without a pool name the queue of
topic ``event`` is ``event.sample``, the one Ceilometer's publisher
declares and fills, so every listener process shares it: each message
is taken by one of them, and adding processes adds throughput.
"""

from __future__ import annotations

import signal
import socket
import threading

from oslo_config import cfg
from oslo_log import log
import oslo_messaging
from oslo_messaging import opts as messaging_opts

from panko import storage
from panko.listener import deadletter
from panko.listener import dispatch
from panko.listener import endpoint
from panko.storage import base

LOG = log.getLogger(__name__)

RABBIT_GROUP = "oslo_messaging_rabbit"


def dead_letter_topic(conf: cfg.ConfigOpts) -> str:
    """The configured dead-letter topic, or the first topic + ``.dead``."""
    return conf.listener.dead_letter_topic or conf.listener.topics[0] + ".dead"


def check_conf(conf: cfg.ConfigOpts) -> None:
    """Raise ValueError when the listener options cannot work together."""
    topics = conf.listener.topics
    if not topics or not all(topics):
        raise ValueError("[listener] topics names no topic")
    if dead_letter_topic(conf) in topics:
        raise ValueError(
            "[listener] dead_letter_topic %s is also one of "
            "the topics consumed: dead letters would come "
            "back forever" % dead_letter_topic(conf)
        )


def set_messaging_defaults(conf: cfg.ConfigOpts) -> None:
    """Register oslo.messaging's options on ``conf`` and let RabbitMQ hand
    each process at most two batches unacknowledged (unless
    ``rabbit_qos_prefetch_count`` is set): by default it has no limit, and
    the first listener would take a whole backlog into memory while the
    others stay idle."""
    for group, opts in messaging_opts.list_opts():
        conf.register_opts(opts, group=group)
    conf.set_default(
        "rabbit_qos_prefetch_count",
        2 * conf.listener.batch_size,
        group=RABBIT_GROUP,
    )


class Listener:
    """Consumes ``[listener] topics`` and stores their events.

    ``connection`` is the storage to write to (default: the configured
    one); the listener closes it when it stops.
    """

    def __init__(
        self, conf: cfg.ConfigOpts, connection: base.Connection | None = None
    ):
        check_conf(conf)
        self.conf = conf
        self.stopping = threading.Event()
        self._connection = connection
        self._transport = None
        self._server = None

    def start(self) -> None:
        """Connect to the bus and start consuming; the database may be
        down, the listener then waits for it with the messages in the
        queue."""
        conf = self.conf
        set_messaging_defaults(conf)
        self._transport = oslo_messaging.get_notification_transport(conf)
        if self._connection is None:
            self._connection = storage.get_connection(conf)
        exchange = conf.listener.exchange
        dead_letters = deadletter.DeadLetters(
            self._transport,
            exchange,
            dead_letter_topic(conf),
            "panko.listener.%s" % socket.gethostname(),
        )
        events = endpoint.EventsEndpoint(
            conf, self._connection, dead_letters, self.stopping
        )
        targets = [
            oslo_messaging.Target(exchange=exchange, topic=topic)
            for topic in conf.listener.topics
        ]
        self._server = dispatch.batch_listener(
            self._transport,
            targets,
            events,
            conf.listener.batch_size,
            conf.listener.batch_timeout,
        )
        # One batch at a time: a batch waiting for the database holds
        # back the next instead of racing it.
        self._server.start(override_pool_size=1)
        LOG.info(
            "Listening on exchange %s, queues %s (batches of %d "
            "messages, %.2f s); dead letters go to queue %s",
            exchange,
            ", ".join("%s.sample" % t for t in conf.listener.topics),
            conf.listener.batch_size,
            conf.listener.batch_timeout,
            dead_letters.queue,
        )

    def stop(self) -> None:
        """Stop consuming, finish or requeue the batch in hand, close the
        connections."""
        self.stopping.set()
        if self._server is not None:
            self._server.stop()
            self._server.wait()
            self._server = None
        if self._transport is not None:
            self._transport.cleanup()
            self._transport = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        LOG.info("Listener stopped")


def run(conf: cfg.ConfigOpts) -> int:
    """Run one listener until SIGTERM or SIGINT; return the exit status."""
    listener = Listener(conf)
    listener.start()
    asked = threading.Event()

    def on_signal(signum, frame):
        LOG.info("Signal %d received: stopping", signum)
        asked.set()

    # Installed once consuming has started: a signal during start-up
    # (which waits for the broker) ends the process at once, and any
    # message it held is redelivered by the broker.
    previous = {
        sig: signal.signal(sig, on_signal)
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        while not asked.wait(1.0):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        listener.stop()
    return 0
