"""Choosing and opening the storage driver.

The driver is loaded with stevedore from the ``panko.storage`` namespace by
the scheme of the connection URL (``postgresql+psycopg2://`` loads
``postgresql``). Opening a driver does not touch the database, so the API
starts while the database is down and answers 503 until it is back.
"""

from __future__ import annotations

import os
import time
from urllib import parse

from oslo_config import cfg
from oslo_log import log
from stevedore import driver

from panko.storage import base
from panko.storage import exceptions

LOG = log.getLogger(__name__)

NAMESPACE = "panko.storage"
SUPPORTED_SCHEMES = ("postgresql", "mysql", "sqlite", "mongodb", "log")
REMOVED_SCHEMES = {
    "es": "Elasticsearch",
    "elasticsearch": "Elasticsearch",
    "hbase": "HBase",
}
MIGRATION_DOC = "doc/source/admin/upgrade-from-panko.rst"


def default_connection_url() -> str:
    """The embedded default: an SQLite file in the user's data folder."""
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    folder = os.path.join(data_home, "panko")
    os.makedirs(folder, exist_ok=True)
    return "sqlite:///" + os.path.join(folder, "panko.sqlite")


def connection_url(conf: cfg.ConfigOpts) -> str:
    """The configured URL: ``[database] connection``, else the deprecated
    ``[database] event_connection``, else the embedded SQLite default."""
    return (
        conf.database.connection
        or conf.database.event_connection
        or default_connection_url()
    )


def backend_name(url: str) -> str:
    """The driver name for ``url``: its scheme without ``+dbapi``."""
    scheme = parse.urlsplit(url).scheme
    return scheme.split("+", 1)[0]


def check_backend(url: str) -> str:
    """Return the backend of ``url``; raise UnsupportedBackend with a
    message naming the supported ones when panko has no such driver."""
    name = backend_name(url)
    if name in REMOVED_SCHEMES:
        raise exceptions.UnsupportedBackend(
            "The %s backend of Panko 10 is not shipped by panko. Supported "
            "backends: %s. See %s for moving the data."
            % (
                REMOVED_SCHEMES[name],
                ", ".join(SUPPORTED_SCHEMES),
                MIGRATION_DOC,
            )
        )
    if name not in SUPPORTED_SCHEMES:
        raise exceptions.UnsupportedBackend(
            "No storage backend for the URL scheme %r. Supported "
            "backends: %s." % (name or url, ", ".join(SUPPORTED_SCHEMES))
        )
    return name


def get_connection(
    conf: cfg.ConfigOpts,
    url: str | None = None,
    write_retries: int | None = None,
) -> base.Connection:
    """Load and construct the driver for ``url`` (default: configured).

    :param write_retries: how many times a failed write is retried
        (default: ``[database] db_max_retries``). The API passes a small
        number, so that a write is answered 503 soon instead of blocking.
    """
    url = url or connection_url(conf)
    name = check_backend(url)
    LOG.debug("Loading the %s storage driver", name)
    mgr = driver.DriverManager(NAMESPACE, name)
    return mgr.driver(url, conf, write_retries=write_retries)


def startup_retries(conf: cfg.ConfigOpts) -> tuple[int, float]:
    """How often, and how far apart, a command tries to reach the
    database at start: ``[database] max_retries`` and ``retry_interval``,
    or the deprecated ``[storage]`` options of Panko 10 where only those
    are set."""
    values = []
    for name in ("max_retries", "retry_interval"):
        value = conf.database[name]
        fallback = conf.storage[name]
        where = conf.get_location(name, "database").location
        if fallback is not None and where in (
            cfg.Locations.opt_default,
            cfg.Locations.set_default,
        ):
            value = fallback
        values.append(value)
    return values[0], values[1]


def wait_for(
    connection: base.Connection, max_retries: int, retry_interval: float
) -> None:
    """Return once the database answers; try ``max_retries`` more times
    (-1: forever) ``retry_interval`` seconds apart, then raise
    StorageUnavailable. For commands that should outlast a database that
    is still starting; the API never waits."""
    attempt = 0
    while True:
        try:
            connection.ping()
            return
        except exceptions.StorageUnavailable as e:
            if 0 <= max_retries <= attempt:
                raise
            reason = e
        attempt += 1
        LOG.warning(
            "The database is not answering (%s); attempt %d of %s "
            "in %s seconds",
            reason,
            attempt,
            "unlimited" if max_retries < 0 else max_retries,
            retry_interval,
        )
        time.sleep(retry_interval)
