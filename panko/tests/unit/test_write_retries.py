"""How many times a driver retries a failed write."""

from __future__ import annotations

from oslo_db import exception as db_exc
import pytest

from panko import storage
from panko.storage import exceptions
from panko.tests import eventgen


@pytest.fixture
def sqlite_url(tmp_path):
    return "sqlite:///%s" % (tmp_path / "panko.sqlite")


def test_default_is_database_db_max_retries(conf, sqlite_url):
    conf.set_override("db_max_retries", 7, "database")
    assert storage.get_connection(conf, sqlite_url).write_retries == 7


@pytest.mark.parametrize("retries", [0, 2])
def test_sql_driver_retries_as_told(conf, sqlite_url, retries, monkeypatch):
    conf.set_override("db_retry_interval", 0, "database")
    connection = storage.get_connection(
        conf, sqlite_url, write_retries=retries
    )
    assert connection.write_retries == retries
    attempts = []

    def failing_write(events):
        attempts.append(len(events))
        raise db_exc.DBConnectionError("the database went away")

    monkeypatch.setattr(connection, "_write", failing_write)
    with pytest.raises(exceptions.StorageUnavailable):
        connection.record_events([eventgen.event()])
    assert len(attempts) == retries + 1
