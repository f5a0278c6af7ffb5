"""The storage driver of the API: checked at start, opened on first use."""

from __future__ import annotations

import threading

import pytest

from panko import storage
from panko.api import hooks
from panko.storage import exceptions


def test_unsupported_backend_fails_at_start(conf):
    conf.set_override("connection", "hbase://localhost", "database")
    with pytest.raises(exceptions.UnsupportedBackend):
        hooks.LazyStorage(conf)


def test_opened_once_on_first_use_with_brief_retries(
    conf, tmp_path, monkeypatch
):
    url = "sqlite:///%s" % (tmp_path / "panko.sqlite")
    conf.set_override("connection", url, "database")
    opened = []
    real = storage.get_connection

    def counting(conf, url=None, write_retries=None):
        opened.append(write_retries)
        return real(conf, url, write_retries)

    monkeypatch.setattr(storage, "get_connection", counting)
    lazy = hooks.LazyStorage(conf)
    assert opened == []
    threads = [threading.Thread(target=lazy.get) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert opened == [hooks.API_WRITE_RETRIES]
    assert lazy.get().write_retries == hooks.API_WRITE_RETRIES
    assert not (tmp_path / "panko.sqlite").exists()


def test_a_given_connection_is_served(conf):
    connection = object()
    assert hooks.LazyStorage(conf, connection).get() is connection
