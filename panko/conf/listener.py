"""Options of ``panko-listener``, the message queue consumer."""

from oslo_config import cfg

OPTS = [
    cfg.ListOpt(
        "topics",
        default=["event"],
        help="Notification topics to consume. Ceilometer's "
        'notifier:// event publisher sends to the "event" '
        "topic by default.",
    ),
    cfg.StrOpt(
        "exchange", default="ceilometer", help="Exchange the topics live on."
    ),
    cfg.IntOpt(
        "batch_size",
        default=100,
        min=1,
        help="Number of events stored in one transaction.",
    ),
    cfg.FloatOpt(
        "batch_timeout",
        default=1.0,
        min=0.01,
        help="Seconds to wait for a batch to fill before storing "
        "what has arrived.",
    ),
    cfg.IntOpt(
        "workers", default=1, min=1, help="Number of listener processes."
    ),
    cfg.IntOpt(
        "max_delivery_attempts",
        default=5,
        min=1,
        help="Attempts to store a message before it is sent to the "
        "dead-letter place.",
    ),
    cfg.StrOpt(
        "telemetry_secret",
        secret=True,
        default=None,
        help="Ceilometer's [publisher] telemetry_secret. When set, "
        "messages whose signature does not match are "
        "dead-lettered.",
    ),
]
