"""Options of ``panko-listener``, the message queue consumer.

The message bus itself is configured by oslo.messaging's own options:
``[DEFAULT] transport_url`` (or ``[oslo_messaging_notifications]
transport_url``) and ``[oslo_messaging_rabbit]``.
"""

from oslo_config import cfg

OPTS = [
    cfg.ListOpt(
        "topics",
        default=["event"],
        help="Notification topics to consume. Ceilometer's "
        'notifier:// event publisher sends to the "event" '
        "topic by default (its [publisher_notifier] "
        "event_topic, or the topic= of the publisher URL).",
    ),
    cfg.StrOpt(
        "exchange",
        default="ceilometer",
        help="Exchange the topics live on: Ceilometer's "
        '[DEFAULT] control_exchange, "ceilometer" unless '
        "changed there.",
    ),
    cfg.StrOpt(
        "dead_letter_topic",
        help="Topic, on the same exchange, that receives the "
        "messages panko can never store, as notifications "
        'of priority "sample" (so that RabbitMQ keeps them in '
        'the queue "<dead_letter_topic>.sample"). Default: '
        'the first of the topics followed by ".dead".',
    ),
    cfg.IntOpt(
        "batch_size",
        default=100,
        min=1,
        help="Number of messages taken from the queue together; "
        "their events are stored in one transaction and the "
        "messages are acknowledged once it is committed.",
    ),
    cfg.FloatOpt(
        "batch_timeout",
        default=1.0,
        min=0.01,
        help="Seconds to wait for a batch to fill before storing "
        "what has arrived.",
    ),
    cfg.IntOpt(
        "workers",
        default=1,
        min=1,
        help="Number of listener processes. They share the queues, "
        "so each message is handled by one of them.",
    ),
    cfg.IntOpt(
        "max_delivery_attempts",
        default=5,
        min=1,
        help="Attempts to store a message whose events make the "
        "storage fail in an unexpected way before it is sent "
        "to the dead-letter topic. Messages that can never be "
        "stored (not events, invalid events, bad signature, "
        "refused by the storage) go there at once; messages "
        "that wait for an unavailable database never do.",
    ),
    cfg.FloatOpt(
        "retry_interval",
        default=1.0,
        min=0.01,
        help="Seconds to wait before taking messages again after "
        "the database was unavailable; the wait doubles at "
        "each failure up to max_retry_interval.",
    ),
    cfg.FloatOpt(
        "max_retry_interval",
        default=60.0,
        min=0.01,
        help="Longest wait between two attempts to store while "
        "the database is unavailable.",
    ),
    cfg.StrOpt(
        "telemetry_secret",
        secret=True,
        default=None,
        help="Ceilometer's [publisher] telemetry_secret. When set, "
        "each event's message_signature is checked and events "
        "whose signature does not match are dead-lettered. "
        "Leave unset to store events without checking.",
    ),
]
