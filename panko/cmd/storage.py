"""``panko-dbsync`` and ``panko-expirer``."""

from __future__ import annotations

import sys

from oslo_config import cfg
from oslo_log import log

from panko import cmd
from panko import service
from panko import storage
from panko.storage import base

LOG = log.getLogger(__name__)


def _open(argv: list[str] | None) -> tuple[cfg.ConfigOpts, base.Connection]:
    conf = service.prepare_service(sys.argv[1:] if argv is None else argv)
    service.check_values(conf)
    connection = storage.get_connection(conf)
    max_retries, retry_interval = storage.startup_retries(conf)
    storage.wait_for(connection, max_retries, retry_interval)
    return conf, connection


@cmd.clean_errors
def dbsync(argv: list[str] | None = None) -> int:
    """Create the schema, or upgrade it (a Panko 10 database included)."""
    conf, connection = _open(argv)
    if connection.needs_upgrade():
        connection.upgrade()
    print("The database schema is up to date.")
    folded = connection.fold_counts()
    if folded:
        print("%d events added to the counts kept ahead of time." % folded)
    return 0


@cmd.clean_errors
def expirer(argv: list[str] | None = None) -> int:
    """Delete the events older than ``[database] event_time_to_live``."""
    conf, connection = _open(argv)
    ttl = conf.database.event_time_to_live
    if ttl <= 0:
        print("[database] event_time_to_live is not set: every event is kept.")
        return 0
    removed = connection.clear_expired_data(
        ttl, conf.database.events_delete_batch_size
    )
    print("%d expired events removed." % removed)
    return 0
