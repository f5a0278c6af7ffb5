"""The panko-api command line."""

from __future__ import annotations

import pytest

from panko.cmd import api as cmd_api
from panko.tests import apidata


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.delenv("PANKO_CONFIG_FILE", raising=False)
    return apidata.write_config(
        tmp_path / "panko.conf", "sqlite://", api={"auth_mode": "keystone"}
    )


def test_defaults(config):
    conf = cmd_api.parse_args(["--config-file", config])
    assert conf.port == 8977
    assert conf.host is None
    assert conf.workers >= 1
    assert conf.api.auth_mode == "keystone"


def test_options(config):
    conf = cmd_api.parse_args(
        [
            "--config-file",
            config,
            "--host",
            "127.0.0.1",
            "--port",
            "9999",
            "--workers",
            "3",
            "--auth-mode",
            "noauth",
        ]
    )
    assert (conf.host, conf.port, conf.workers) == ("127.0.0.1", 9999, 3)
    assert conf.api.auth_mode == "noauth"


def test_panko10_command_line(config):
    conf = cmd_api.parse_args(
        ["-p", "8777", "-b", "127.0.0.1", "--", "--config-file", config]
    )
    assert (conf.host, conf.port) == ("127.0.0.1", 8777)
    assert conf.config_file == [config]


@pytest.mark.parametrize(
    "argv", [["--port", "70000"], ["--workers", "0"], ["--auth-mode", "x"]]
)
def test_bad_options(config, argv):
    with pytest.raises(SystemExit):
        cmd_api.parse_args(["--config-file", config] + argv)


@pytest.mark.parametrize(
    "host, expected",
    [
        ("127.0.0.1", "127.0.0.1:8977"),
        ("::1", "[::1]:8977"),
        ("events.example.com", "events.example.com:8977"),
    ],
)
def test_bind_address(host, expected):
    assert cmd_api.bind_address(host, 8977) == expected


def test_noauth_listens_on_loopback_by_default(config, monkeypatch):
    served = []
    monkeypatch.setattr(
        cmd_api._Server, "run", lambda self: served.append(self._conf.host)
    )
    assert (
        cmd_api.main(["--config-file", config, "--auth-mode", "noauth"]) == 0
    )
    assert cmd_api.main(["--config-file", config]) == 0
    assert served == ["127.0.0.1", "0.0.0.0"]


def test_gunicorn_settings(config):
    conf = cmd_api.parse_args(
        ["--config-file", config, "--host", "::1", "--workers", "2"]
    )
    server = cmd_api._Server(conf)
    assert server.cfg.bind == ["[::1]:8977"]
    assert server.cfg.workers == 2
    assert server.cfg.preload_app is True
