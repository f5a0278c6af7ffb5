"""The ``panko-listener`` command: several processes, signals, restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from panko.tests import faultproxy
from panko.tests.functional.listener import support

COMMAND = os.path.join(os.path.dirname(sys.executable), "panko-listener")


def write_conf(tmp_path, bus, database_url, **listener):
    options = {
        "exchange": bus.exchange,
        "topics": bus.topic,
        "batch_size": 5,
        "batch_timeout": 0.2,
        **listener,
    }
    path = tmp_path / "panko.conf"
    path.write_text(
        "[DEFAULT]\ntransport_url = %s\n"
        "[database]\nconnection = %s\ndb_max_retries = 0\n"
        "[listener]\n%s\n"
        % (
            support.RABBIT_URL,
            database_url,
            "\n".join("%s = %s" % item for item in options.items()),
        )
    )
    return path


def children(pid: int) -> list[int]:
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(p) for p in f.read().split()]


@pytest.mark.backends("postgresql")
def test_workers_share_the_queue_restart_and_stop_on_sigterm(
    tmp_path, bus, storage_conn
):
    path = write_conf(tmp_path, bus, storage_conn.url, workers=2)
    log_path = tmp_path / "listener.log"
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [COMMAND, "--config-file", str(path)],
            stdout=log_file,
            stderr=log_file,
        )
    try:
        support.wait_until(
            lambda: bus.depth(bus.queue)[1] == 2,
            what="two consumers on the queue",
        )
        first = children(process.pid)
        assert len(first) == 2

        events = []
        for index in range(20):
            event = support.ceilometer_event(index)
            bus.publish([event])
            events.append(event)
        support.wait_until(
            lambda: len(support.stored_events(storage_conn)) == 20,
            what="20 stored events",
        )

        os.kill(first[0], signal.SIGKILL)
        support.wait_until(
            lambda: (
                len(children(process.pid)) == 2
                and first[0] not in children(process.pid)
            ),
            what="the killed process replaced",
        )
        support.wait_until(
            lambda: bus.depth(bus.queue)[1] == 2, what="two consumers again"
        )
        late = [support.ceilometer_event(100 + i) for i in range(10)]
        for event in late:
            bus.publish([event])
        support.wait_until(
            lambda: len(support.stored_events(storage_conn)) == 30,
            what="30 stored events",
        )
        ids = [e.message_id for e in support.stored_events(storage_conn)]
        assert sorted(ids) == sorted(e["message_id"] for e in events + late)

        survivors = children(process.pid)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        for pid in survivors:
            assert not os.path.exists("/proc/%d" % pid)
        assert bus.depth(bus.queue) == (0, 0)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = log_path.read_text()
    assert "exited with status -9; restarting it" in log
    assert "stopping 2 listener processes" in log


@pytest.mark.backends("postgresql")
def test_one_process_stops_during_an_outage_and_keeps_the_messages(
    tmp_path, bus, storage_conn
):
    proxy = faultproxy.FaultProxy("127.0.0.1", 5432)
    proxy.refuse()
    url = storage_conn.url.replace(
        "127.0.0.1:5432", "127.0.0.1:%d" % proxy.port
    )
    path = write_conf(tmp_path, bus, url, retry_interval=60)
    process = subprocess.Popen(
        [COMMAND, "--config-file", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        support.wait_until(
            lambda: bus.depth(bus.queue)[1] == 1, what="the listener consuming"
        )
        assert children(process.pid) == []
        bus.publish([support.ceilometer_event(1)])
        bus.publish([support.ceilometer_event(2)])
        # Both taken and held while the listener waits 60 s.
        support.wait_until(
            lambda: bus.depth(bus.queue) == (0, 1), what="the messages taken"
        )
        time.sleep(0.5)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0
        assert time.monotonic() - started < 15
    finally:
        proxy.close()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "The database is unavailable" in output
    assert "next attempt in 60.0 s" in output
    assert bus.depth(bus.queue) == (2, 0)
    assert support.stored_events(storage_conn) == []


def test_a_dead_letter_topic_among_the_topics_is_refused(tmp_path):
    path = tmp_path / "panko.conf"
    path.write_text(
        "[listener]\ntopics = event,event.dead\n"
        "dead_letter_topic = event.dead\n"
    )
    done = subprocess.run(
        [COMMAND, "--config-file", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "dead letters would come back forever" in done.stdout


def test_a_removed_backend_is_refused_at_start(tmp_path):
    path = tmp_path / "panko.conf"
    path.write_text("[database]\nconnection = hbase://localhost:9090\n")
    done = subprocess.run(
        [COMMAND, "--config-file", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "The HBase backend of Panko 10 is not shipped" in done.stdout


@pytest.mark.backends("postgresql")
def test_replay_with_nothing_dead_exits_at_once(tmp_path, bus, storage_conn):
    path = write_conf(tmp_path, bus, storage_conn.url)
    done = subprocess.run(
        [COMMAND, "--config-file", str(path), "--replay-dead-letters"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert (
        "0 dead letters of queue %s sent back to topic %s"
        % (bus.dead_queue, bus.topic)
    ) in done.stdout
