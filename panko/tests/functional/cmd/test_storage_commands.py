"""panko-dbsync and panko-expirer as an operator runs them."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

from oslo_utils import timeutils
import pytest

from panko import storage
from panko.storage import models
from panko.tests import eventgen


def run(command, config, **env):
    environment = dict(os.environ, **env)
    environment.pop("PANKO_CONFIG_FILE", None)
    code = "import sys; from panko.cmd.storage import %s; sys.exit(%s())" % (
        command,
        command,
    )
    return subprocess.run(
        [sys.executable, "-c", code, "--config-file", str(config)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


def write_config(tmp_path, url, **options):
    lines = ["[database]", "connection = %s" % url]
    lines += ["%s = %s" % item for item in options.items()]
    path = tmp_path / "panko.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_dbsync_creates_then_finds_nothing_to_do(database_url, tmp_path, conf):
    config = write_config(tmp_path, database_url)
    first = run("dbsync", config)
    assert first.returncode == 0, first.stderr
    assert "The database schema is up to date." in first.stdout
    connection = storage.get_connection(conf, database_url)
    assert not connection.needs_upgrade()
    connection.close()
    again = run("dbsync", config)
    assert again.returncode == 0
    assert "upgraded" not in again.stdout + again.stderr


@pytest.mark.backends("sqlite", "postgresql", "mysql")
def test_dbsync_folds_the_events_stored_into_the_counts(
    storage_conn, tmp_path, _upgraded
):
    storage_conn.record_events([eventgen.event() for _ in range(4)])
    config = write_config(tmp_path, _upgraded)
    result = run("dbsync", config)
    assert result.returncode == 0, result.stderr
    assert "4 events added to the counts kept ahead of time." in result.stdout
    assert storage_conn._count_state().folded == 4
    again = run("dbsync", config)
    assert "added to the counts" not in again.stdout


def test_expirer_removes_what_is_older_than_the_ttl(
    storage_conn, tmp_path, _upgraded
):
    now = timeutils.utcnow()
    old = [
        eventgen.event(generated=now - datetime.timedelta(days=3))
        for _ in range(5)
    ]
    young = [
        eventgen.event(generated=now - datetime.timedelta(hours=1))
        for _ in range(3)
    ]
    storage_conn.record_events(old + young)
    config = write_config(
        tmp_path,
        _upgraded,
        event_time_to_live=86400,
        events_delete_batch_size=2,
    )
    result = run("expirer", config)
    assert result.returncode == 0, result.stderr
    assert "5 expired events removed." in result.stdout
    left = eventgen.ids(storage_conn.get_events(models.EventFilter()))
    assert sorted(left) == sorted(eventgen.ids(young))


def test_expirer_without_ttl_keeps_everything(
    storage_conn, tmp_path, _upgraded
):
    storage_conn.record_events([eventgen.event()])
    result = run("expirer", write_config(tmp_path, _upgraded))
    assert result.returncode == 0
    assert "event_time_to_live is not set" in result.stdout
    assert len(list(storage_conn.get_events(models.EventFilter()))) == 1


def test_bad_option_is_named_and_exits_2(tmp_path):
    config = write_config(tmp_path, "sqlite://", event_time_to_live="soon")
    result = run("expirer", config)
    assert result.returncode == 2
    assert "event_time_to_live" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_exits_1_after_retries(tmp_path):
    config = write_config(
        tmp_path,
        "postgresql://root@127.0.0.1:1/none",
        max_retries=1,
        retry_interval=0,
    )
    result = run("dbsync", config)
    assert result.returncode == 1
    assert "ERROR: The database is unavailable" in result.stderr
    assert "Traceback" not in result.stderr


def test_removed_backend_is_refused_with_a_pointer(tmp_path):
    result = run("dbsync", write_config(tmp_path, "es://localhost:9200"))
    assert result.returncode == 1
    assert "Elasticsearch backend of Panko 10 is not shipped" in result.stderr
    assert "upgrade-from-panko" in result.stderr
