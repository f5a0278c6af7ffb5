"""A private bus and a running listener for each test."""

from __future__ import annotations

import pytest

from panko.listener import server
from panko.tests.functional.listener import support


@pytest.fixture
def bus():
    bus = support.Bus()
    yield bus
    bus.cleanup()


@pytest.fixture
def listener_conf(conf, storage_conn, bus):
    """The configuration of a listener on ``bus`` storing into
    ``storage_conn``'s database, with short waits."""
    server.set_messaging_defaults(conf)
    conf.set_override("transport_url", support.RABBIT_URL)
    conf.set_override("exchange", bus.exchange, "listener")
    conf.set_override("topics", [bus.topic], "listener")
    conf.set_override("batch_size", 10, "listener")
    conf.set_override("batch_timeout", 0.2, "listener")
    conf.set_override("retry_interval", 0.2, "listener")
    conf.set_override("max_retry_interval", 1.0, "listener")
    conf.set_override("db_max_retries", 0, "database")
    return conf


@pytest.fixture
def start_listener(listener_conf):
    """Start listeners (on a given storage connection if needed); they
    are stopped at the end of the test."""
    started = []

    def start(connection=None):
        listener = server.Listener(listener_conf, connection)
        listener.start()
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.stop()
