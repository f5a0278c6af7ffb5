"""Where each process finds its configuration, and bad values at start."""

from __future__ import annotations

import subprocess
import sys

from oslo_config import cfg
import pytest

from panko import service
from panko import storage
from panko.storage import exceptions


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.delenv(service.CONFIG_FILE_ENV, raising=False)
    monkeypatch.delenv("OS_DATABASE__CONNECTION", raising=False)
    made = {}
    for name, url in (
        ("cli", "sqlite:///cli"),
        ("env", "sqlite:///env"),
        ("etc", "sqlite:///etc"),
    ):
        path = tmp_path / ("%s.conf" % name)
        path.write_text("[database]\nconnection = %s\n" % url)
        made[name] = str(path)
    monkeypatch.setattr(service, "DEFAULT_CONFIG_FILE", made["etc"])
    return made


def test_config_file_argument_comes_first(files, monkeypatch):
    monkeypatch.setenv(service.CONFIG_FILE_ENV, files["env"])
    conf = service.prepare_service(
        ["--config-file", files["cli"]], setup_logging=False
    )
    assert conf.database.connection == "sqlite:///cli"


def test_then_the_environment_variable(files, monkeypatch):
    monkeypatch.setenv(service.CONFIG_FILE_ENV, files["env"])
    conf = service.prepare_service([], setup_logging=False)
    assert conf.database.connection == "sqlite:///env"


def test_then_etc_panko(files):
    conf = service.prepare_service([], setup_logging=False)
    assert conf.database.connection == "sqlite:///etc"


def test_oslo_config_environment_overrides_the_file(files, monkeypatch):
    monkeypatch.setenv("OS_DATABASE__CONNECTION", "sqlite:///from-env-var")
    conf = service.prepare_service([], setup_logging=False)
    assert conf.database.connection == "sqlite:///from-env-var"


def test_bad_value_is_reported_at_start_naming_the_option(files, monkeypatch):
    monkeypatch.setenv("OS_DATABASE__EVENT_TIME_TO_LIVE", "a week")
    conf = service.prepare_service([], setup_logging=False)
    with pytest.raises(cfg.ConfigSourceValueError, match="event_time_to_live"):
        service.check_values(conf)


def test_bad_choice_is_refused(files, monkeypatch):
    monkeypatch.setenv("OS_DATABASE__PARTITION_INTERVAL", "hourly")
    conf = service.prepare_service([], setup_logging=False)
    with pytest.raises(cfg.ConfigSourceValueError, match="partition_interval"):
        service.check_values(conf)


def test_embedded_default_is_an_sqlite_file(conf, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    url = storage.connection_url(conf)
    assert url == "sqlite:///%s" % (tmp_path / "panko" / "panko.sqlite")
    assert (tmp_path / "panko").is_dir()


def test_deprecated_event_connection_is_honoured(conf):
    conf.set_override("event_connection", "sqlite:///old", "database")
    assert storage.connection_url(conf) == "sqlite:///old"
    conf.set_override("connection", "sqlite:///new", "database")
    assert storage.connection_url(conf) == "sqlite:///new"


@pytest.mark.parametrize(
    "url, backend",
    [
        ("postgresql://h/db", "postgresql"),
        ("postgresql+psycopg2://h/db", "postgresql"),
        ("mysql://h/db", "mysql"),
        ("mysql+pymysql://h/db", "mysql"),
        ("sqlite:///x", "sqlite"),
        ("mongodb://h/db", "mongodb"),
        ("log://", "log"),
    ],
)
def test_backend_by_scheme(url, backend):
    assert storage.check_backend(url) == backend


@pytest.mark.parametrize(
    "url, message",
    [
        ("es://localhost:9200", "Elasticsearch backend of Panko 10"),
        ("hbase://localhost:9090", "HBase backend of Panko 10"),
        ("oracle://x", "No storage backend for the URL scheme 'oracle'"),
    ],
)
def test_unsupported_backends_name_the_supported_ones(url, message):
    with pytest.raises(exceptions.UnsupportedBackend) as error:
        storage.check_backend(url)
    assert message in str(error.value)
    assert "postgresql, mysql, sqlite, mongodb, log" in str(error.value)


def test_startup_retries_fall_back_to_panko10_storage_group(conf):
    assert storage.startup_retries(conf) == (10, 10)
    conf.set_override("max_retries", 3, "storage")
    conf.set_override("retry_interval", 1, "storage")
    assert storage.startup_retries(conf) == (3, 1)
    conf.set_override("max_retries", 7, "database")
    assert storage.startup_retries(conf) == (7, 1)


# oslo.config and oslo.log warn about a deprecated option once per
# process: the check runs in a process of its own.
WARN_TWICE = """
import sys
from panko import service, storage
conf = service.prepare_service(["--config-file", sys.argv[1]],
                               setup_logging=False)
service.check_values(conf)
service.check_values(conf)
print(storage.connection_url(conf))
"""


def test_deprecated_options_warn_once_and_apply(files, tmp_path):
    path = tmp_path / "old.conf"
    path.write_text(
        "[database]\nevent_connection = sqlite:///legacy\n"
        "es_index_name = events2\n"
        "[storage]\nmax_retries = 2\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", WARN_TWICE, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    text = run.stderr
    assert text.count('"event_connection" from group "database"') == 1
    assert text.count('"max_retries" from group "storage"') == 1
    assert text.count('"es_index_name" from group "database"') == 1
    assert "Ignored: panko has no Elasticsearch backend" in text
    assert run.stdout.strip() == "sqlite:///legacy"


def test_removed_backend_fails_at_start(files, tmp_path):
    path = tmp_path / "es.conf"
    path.write_text("[database]\nconnection = es://localhost:9200\n")
    conf = service.prepare_service(
        ["--config-file", str(path)], setup_logging=False
    )
    with pytest.raises(exceptions.UnsupportedBackend, match="Elasticsearch"):
        service.check_values(conf)
