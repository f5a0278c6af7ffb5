"""The listener on the real RabbitMQ while the database or the broker
fails: nothing acknowledged before it is stored, nothing stored twice
when it comes back."""

from __future__ import annotations

import logging

import pytest

from panko import storage
from panko.tests import faultproxy
from panko.tests.functional.faults import conftest as faults
from panko.tests.functional.listener import support
from panko.tests.functional.listener import test_listener

# AMQP 0-9-1 Basic.Ack: class 60, method 80, as they start its frame.
BASIC_ACK = b"\x00\x3c\x00\x50"


def published(bus, messages, start):
    """``messages`` notifications of two events each; their ids."""
    events = test_listener.published(
        bus, messages=messages, per_message=2, start=start
    )
    return [e["message_id"] for e in events]


def wait_stored(storage_conn, count, timeout=30.0):
    support.wait_until(
        lambda: sum(faults.stored_counts(storage_conn).values()) >= count,
        timeout=timeout,
        what="%d stored events" % count,
    )


def assert_all_acknowledged(bus, listener):
    """Once the listener is stopped, no message is left: all were
    acknowledged (one held unacknowledged would be back in the queue)."""
    listener.stop()
    assert bus.depth(bus.queue) == (0, 0)


def wait_all_acknowledged(bus):
    support.wait_until(
        lambda: bus.depth(bus.queue) == (0, 1),
        timeout=30,
        what="every message acknowledged",
    )


@pytest.mark.backends("postgresql", "mysql")
@pytest.mark.parametrize(
    "fault", ("down", "mid_insert", "before_commit", "commit_answer_lost")
)
def test_database_fault_nothing_acknowledged_nothing_twice(
    backend,
    fault,
    bus,
    listener_conf,
    start_listener,
    storage_conn,
    db_proxy,
    proxied_url,
    caplog,
):
    caplog.set_level(logging.WARNING)
    listener = start_listener(
        storage.get_connection(listener_conf, proxied_url)
    )
    ids = published(bus, 4, start=0)
    wait_stored(storage_conn, len(ids))
    wait_all_acknowledged(bus)

    trap = faults.inject(db_proxy, backend, fault)
    during = published(bus, 10, start=100)
    ids += during
    if trap is None:
        support.wait_until(
            lambda: caplog.text.count("The database is unavailable") >= 2,
            what="the listener retrying against the database",
        )
        assert sum(faults.stored_counts(storage_conn).values()) == 8
        # Stopped now, it hands back what it holds: every message sent
        # during the outage is in the queue, none was acknowledged.
        listener.stop()
        support.wait_until(
            lambda: bus.depth(bus.queue) == (10, 0),
            what="the ten messages back in the queue",
        )
        db_proxy.resume()
        listener = start_listener(
            storage.get_connection(listener_conf, proxied_url)
        )
    else:
        assert trap.wait(), "the fault was never reached"
        if fault in faults.MAY_BE_COMMITTED:
            # Committed, though the listener was told it failed: the
            # batch is requeued and found stored when it comes back.
            assert trap.answered
    wait_stored(storage_conn, len(ids))
    wait_all_acknowledged(bus)
    after = published(bus, 3, start=200)
    ids += after
    wait_stored(storage_conn, len(ids))
    wait_all_acknowledged(bus)
    faults.assert_exactly_once(storage_conn, ids)
    assert bus.depth(bus.dead_queue) == (0, 0)
    faults.report(
        "listener-" + fault, backend, db_proxy, len(ids), storage_conn
    )


@pytest.mark.backends("postgresql")
def test_broker_cut_refused_and_ack_lost_nothing_lost(
    backend, bus, listener_conf, start_listener, storage_conn
):
    host, port = support.RABBIT_URL.rsplit("@", 1)[1].strip("/").split(":")
    with faultproxy.FaultProxy(host, int(port)) as proxy:
        listener_conf.set_override(
            "transport_url", proxy.url_for(support.RABBIT_URL)
        )
        listener_conf.set_override(
            "rabbit_interval_max", 1, "oslo_messaging_rabbit"
        )
        listener = start_listener()
        ids = published(bus, 3, start=0)
        wait_stored(storage_conn, len(ids))

        # The connection drops; the broker stays reachable.
        assert proxy.cut() >= 1
        ids += published(bus, 5, start=100)
        wait_stored(storage_conn, len(ids))

        # The broker is gone for a while: messages queue up meanwhile.
        proxy.refuse()
        support.wait_until(
            lambda: bus.depth(bus.queue)[1] == 0,
            what="the broker seeing the consumer gone",
        )
        ids += published(bus, 5, start=200)
        support.wait_until(
            lambda: proxy.refused >= 1, what="a refused reconnection"
        )
        assert bus.depth(bus.queue)[0] >= 5
        assert sum(faults.stored_counts(storage_conn).values()) == 16
        proxy.resume()
        wait_stored(storage_conn, len(ids))

        # Stored, but the acknowledgement never reaches the broker: the
        # messages come back and are found stored already.
        trap = proxy.cut_on(BASIC_ACK)
        ids += published(bus, 5, start=300)
        assert trap.wait(), "no acknowledgement was sent"
        ids += published(bus, 2, start=400)
        wait_stored(storage_conn, len(ids))
        faults.assert_exactly_once(storage_conn, ids)

        # What is still unacknowledged goes back to the queue when the
        # listener stops: only messages whose events are stored already
        # (oslo.messaging ignores a message redelivered after its
        # acknowledgement failed, until the next reconnection).
        listener.stop()
        left = bus.take(bus.queue)
        for message in left:
            assert {e["message_id"] for e in message["payload"]} <= set(ids)
        faults.report(
            "broker(%d-held-back)" % len(left),
            backend,
            proxy,
            len(ids),
            storage_conn,
        )
