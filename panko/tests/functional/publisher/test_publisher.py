"""The publisher as Ceilometer loads it: through its entry point, with
Ceilometer's configuration and the parsed pipeline URL."""

from __future__ import annotations

import datetime
import logging
import subprocess
import sys
import threading

from oslo_config import cfg
from oslo_utils import netutils
import pytest
from stevedore import driver

from panko import publisher
from panko.storage import exceptions
from panko.storage import models

NAMESPACE = "ceilometer.event.publisher"


def ceilometer_conf():
    """What Ceilometer hands its publishers: its own ConfigOpts."""
    conf = cfg.ConfigOpts()
    conf([], project="ceilometer", default_config_files=[])
    return conf


def load(url):
    parsed = netutils.urlsplit(url)
    cls = driver.DriverManager(NAMESPACE, parsed.scheme).driver
    return cls(ceilometer_conf(), parsed)


class CeilometerTrait:
    def __init__(self, name, dtype, value):
        self.name, self.dtype, self.value = name, dtype, value


class CeilometerEvent:
    """Shaped like ceilometer.event.models.Event."""

    def __init__(self, message_id, traits=(), raw=None, event_type="x.y"):
        self.message_id = message_id
        self.event_type = event_type
        self.generated = datetime.datetime(2026, 5, 1, 10, 0, 0, 5)
        self.traits = [CeilometerTrait(*t) for t in traits]
        self.raw = raw


@pytest.fixture
def config_file(tmp_path, _upgraded):
    path = tmp_path / "panko.conf"
    path.write_text("[database]\nconnection = %s\n" % _upgraded)
    return str(path)


def stored(storage_conn):
    return {
        e.message_id: e for e in storage_conn.get_events(models.EventFilter())
    }


def test_loaded_by_entry_point_and_stores(storage_conn, config_file):
    pub = load("panko://?config_file=%s" % config_file)
    assert isinstance(pub, publisher.PankoPublisher)
    pub.publish_events(
        [
            CeilometerEvent(
                "m1",
                [
                    ("project_id", 1, "p"),
                    ("n", 2, 3),
                    ("f", 3, 1.5),
                    ("t", 4, datetime.datetime(2026, 1, 2, 3, 4, 5, 6)),
                    ("nothing", 0, None),
                ],
                raw={"payload": {"a": 1}},
            ),
            CeilometerEvent("m2"),
        ]
    )
    events = stored(storage_conn)
    assert set(events) == {"m1", "m2"}
    m1 = events["m1"]
    assert {(t.name, t.dtype, t.value) for t in m1.traits} == {
        ("project_id", 1, "p"),
        ("n", 2, 3),
        ("f", 3, 1.5),
        ("t", 4, datetime.datetime(2026, 1, 2, 3, 4, 5, 6)),
    }
    assert m1.raw == {"payload": {"a": 1}}
    assert m1.generated == datetime.datetime(2026, 5, 1, 10, 0, 0, 5)


def test_reads_panko_config_from_the_environment(
    storage_conn, _upgraded, monkeypatch, tmp_path
):
    empty = tmp_path / "empty.conf"
    empty.write_text("")
    monkeypatch.setenv("PANKO_CONFIG_FILE", str(empty))
    monkeypatch.setenv("OS_DATABASE__CONNECTION", _upgraded)
    pub = load("panko://")
    pub.publish_events([CeilometerEvent("from-env")])
    assert "from-env" in stored(storage_conn)


def test_direct_dispatcher_panko_behaves_the_same(storage_conn, config_file):
    pub = load("direct://?dispatcher=panko&config_file=%s" % config_file)
    pub.publish_events([CeilometerEvent("direct-1")])
    assert "direct-1" in stored(storage_conn)


@pytest.mark.parametrize(
    "url, message",
    [
        ("panko://?conffile=/x", "Unknown option(s) conffile"),
        ("panko://?config_file=", "needs exactly one value"),
        ("direct://?dispatcher=gnocchi", "gnocchi was asked for"),
        ("direct://", "no dispatcher was asked for"),
    ],
)
def test_bad_urls_fail_at_load_time(url, message):
    with pytest.raises(
        publisher.InvalidPublisherURL,
        match=message.replace("(", r"\(").replace(")", r"\)"),
    ):
        load(url)


def test_many_threads_one_event_each_share_transactions(
    storage_conn, config_file
):
    pub = load("panko://?config_file=%s" % config_file)
    calls = []
    original = pub.connection.record_events

    def counting(events):
        calls.append(len(events))
        return original(events)

    pub.connection.record_events = counting
    # The committer captured the bound method; rebuild it on the wrapper.
    pub._committer._record = counting
    errors = []

    def publish(i):
        try:
            pub.publish_events([CeilometerEvent("t-%03d" % i)])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len([m for m in stored(storage_conn) if m.startswith("t-")]) == 64
    assert sum(calls) == 64
    assert len(calls) < 64


def test_malformed_events_are_logged_and_dropped(
    storage_conn, config_file, caplog
):
    pub = load("panko://?config_file=%s" % config_file)
    with caplog.at_level(logging.ERROR):
        pub.publish_events(
            [
                CeilometerEvent("bad\x00id"),
                CeilometerEvent("bad-int", [("n", 2, "not a number")]),
                CeilometerEvent("too-big", raw={"x": "y" * (2 * 1024 * 1024)}),
                CeilometerEvent("good"),
            ]
        )
    assert set(stored(storage_conn)) == {"good"}
    text = caplog.text
    assert "bad-int" in text and "not an integer" in text
    assert "too-big" in text and "max_raw_size" in text
    assert "NUL" in text


def test_unavailable_database_raises(tmp_path):
    path = tmp_path / "panko.conf"
    path.write_text(
        "[database]\nconnection = "
        "postgresql://root@127.0.0.1:1/nothing\n"
        "db_max_retries = 1\ndb_retry_interval = 0\n"
    )
    pub = load("panko://?config_file=%s" % path)
    with pytest.raises(exceptions.StorageUnavailable):
        pub.publish_events([CeilometerEvent("lost?")])


GUEST_CHECK = """
import logging, sys
from oslo_config import cfg
from oslo_utils import netutils
from stevedore import driver
handlers = list(logging.getLogger().handlers)
sys.argv = ["ceilometer-agent-notification", "--bogus-ceilometer-flag"]
conf = cfg.ConfigOpts()
conf([], project="ceilometer", default_config_files=[])
url = netutils.urlsplit("panko://?config_file=" + sys.stdin.read())
driver.DriverManager("ceilometer.event.publisher", "panko").driver(conf, url)
assert logging.getLogger().handlers == handlers, "logging was set up"
heavy = [m for m in sys.modules
         if m.startswith(("panko.api", "pecan", "wsme.", "keystonemiddle"))]
assert not heavy, heavy
print("ok")
"""


def test_publisher_is_a_good_guest(config_file):
    """Loading it pulls in no API stack, sets up no logging and reads no
    command line (Ceilometer's argv has flags panko does not know)."""
    out = subprocess.run(
        [sys.executable, "-c", GUEST_CHECK],
        input=config_file,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_missing_config_file_is_named(tmp_path):
    with pytest.raises(cfg.ConfigFilesNotFoundError, match="nowhere.conf"):
        load("panko://?config_file=%s" % (tmp_path / "nowhere.conf"))
