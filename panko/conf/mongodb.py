"""Options of the MongoDB driver: ``[mongodb]``."""

from oslo_config import cfg

OPTS = [
    cfg.BoolOpt(
        "ttl_index",
        default=False,
        help="Let MongoDB delete expired events itself: panko-dbsync "
        "keeps a TTL index on the events' generated time with "
        "expireAfterSeconds = [database] event_time_to_live "
        "(run it again after changing that option). panko-expirer "
        "is still needed, less often, to forget the event types "
        "whose events are all gone.",
    ),
    cfg.IntOpt(
        "max_retries",
        default=3,
        min=0,
        help="How many times an operation is tried again when the "
        "server cannot be reached or is not (or no longer) the "
        "primary, before the caller gets an error (the API then "
        "answers 503).",
    ),
    cfg.FloatOpt(
        "retry_interval",
        default=0.5,
        min=0,
        help="Seconds between two tries of an operation.",
    ),
]
