"""Options of the ``[database]`` group that panko owns.

oslo.db registers ``connection``, ``max_retries``, ``retry_interval`` and its
other engine options in the same group; the options below keep the names
Panko 10 gave them so existing configuration files keep working.
"""

from oslo_config import cfg

ES_IGNORED = (
    "Ignored: panko has no Elasticsearch backend (see "
    "doc/source/admin/upgrade-from-panko.rst)."
)

OPTS = [
    cfg.IntOpt(
        "event_time_to_live",
        default=-1,
        help="Number of seconds that events are kept in the "
        "database (<= 0 means forever). panko-expirer removes "
        "older events.",
    ),
    cfg.IntOpt(
        "events_delete_batch_size",
        default=0,
        min=0,
        help="Number of events panko-expirer deletes in one "
        "transaction. 0 means the default batch of 10000; "
        "the expirer always runs until nothing expired is "
        "left.",
    ),
    cfg.IntOpt(
        "max_raw_size",
        default=1024 * 1024,
        min=1024,
        help="Largest raw notification, in bytes of JSON, stored "
        "with an event. An event whose raw payload is larger "
        "is refused with an error naming it; nothing is cut.",
    ),
    cfg.StrOpt(
        "partition_interval",
        default="day",
        choices=[
            ("day", "One partition per day."),
            ("week", "One partition per ISO week."),
            ("month", "One partition per month."),
        ],
        help="PostgreSQL only: the span of time each partition of "
        "the event table holds. The expirer drops whole "
        "partitions, so a shorter span returns disk space "
        "sooner; a longer one means fewer partitions for "
        "queries that cover all time. Partitions made before "
        "a change keep their span.",
    ),
    cfg.BoolOpt(
        "prepared_statements",
        default=True,
        help="PostgreSQL only: run the reads of the API as prepared "
        "statements, so that the server plans each kind of query "
        "once rather than on every request (planning a query of "
        "the partitioned event table costs more than running it). "
        "Set it to false behind a pooler that hands each "
        "transaction to another server connection, such as "
        "PgBouncer in transaction mode.",
    ),
    cfg.StrOpt(
        "event_connection",
        secret=True,
        deprecated_for_removal=True,
        deprecated_reason="Use [database] connection.",
        help="Connection URL of the event database. Deprecated: "
        "it is read only when [database] connection is "
        "unset.",
    ),
    cfg.BoolOpt(
        "es_ssl_enabled",
        default=False,
        deprecated_for_removal=True,
        deprecated_reason=ES_IGNORED,
        help="Accepted for compatibility with Panko 10, and ignored: "
        "panko has no Elasticsearch backend.",
    ),
    cfg.StrOpt(
        "es_index_name",
        default="events",
        deprecated_for_removal=True,
        deprecated_reason=ES_IGNORED,
        help="Accepted for compatibility with Panko 10, and ignored: "
        "panko has no Elasticsearch backend.",
    ),
]
