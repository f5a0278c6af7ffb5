"""The API served by real WSGI servers, and the real openstack client.

``panko-api`` (gunicorn) and uwsgi with the shipped etc/panko/panko-
uwsgi.ini serve the test database on a free port; the ``openstack event``
commands of pankoclient then talk to it in noauth mode, without any
identity, as ``--os-auth-type none`` sends it.
"""

from __future__ import annotations

import configparser
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from panko.storage import models
from panko.tests import apidata
from panko.tests.functional.api import test_post

ROOT = pathlib.Path(__file__).parents[4]
BIN = pathlib.Path(sys.executable).parent
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, dict(resp.headers), resp.read()


class Server:
    """A server process in its own process group."""

    def __init__(self, argv, port, log_path, env=None):
        self.url = "http://127.0.0.1:%d" % port
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, **(env or {})),
            start_new_session=True,
        )
        self._wait_until_ready()

    def _wait_until_ready(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                get(self.url + "/")
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        self.stop()
        raise AssertionError(
            "the server did not start:\n%s" % self.log_path.read_text()
        )

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


@pytest.fixture
def config_file(storage_conn, tmp_path):
    return apidata.write_config(tmp_path / "panko.conf", storage_conn.url)


def start_panko_api(config_file, tmp_path) -> Server:
    """panko-api in noauth mode, one worker, on a free port."""
    port = free_port()
    return Server(
        [
            str(BIN / "panko-api"),
            "--config-file",
            config_file,
            "--port",
            str(port),
            "--workers",
            "1",
            "--auth-mode",
            "noauth",
        ],
        port,
        tmp_path / "panko-api.log",
    )


@pytest.fixture
def panko_api(config_file, tmp_path):
    server = start_panko_api(config_file, tmp_path)
    yield server
    server.stop()


def uwsgi_ini(tmp_path, port) -> pathlib.Path:
    """etc/panko/panko-uwsgi.ini, with this test's port and script, and
    without the user switch."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "etc/panko/panko-uwsgi.ini")
    section = parser["uwsgi"]
    section["http-socket"] = "127.0.0.1:%d" % port
    section["wsgi-file"] = str(BIN / "panko-api")
    section["processes"] = "1"
    del section["uid"], section["gid"]
    path = tmp_path / "panko-uwsgi.ini"
    with open(path, "w") as f:
        parser.write(f)
    return path


def test_panko_api_command(panko_api, sample):
    status, headers, body = get(panko_api.url + "/v2/events")
    assert status == 200
    # A page of at most render.WHOLE_LIMIT events is answered whole, a
    # larger one streamed (below).
    assert int(headers["Content-Length"]) == len(body)
    # Anonymous in noauth mode: the default roles (admin), no project.
    assert [e["message_id"] for e in json.loads(body)] == [
        "ev-a1",
        "ev-a2",
        "ev-b1",
        "ev-n1",
        "ev-admin",
    ]
    status, _, body = get(
        panko_api.url + "/v2/events", headers=apidata.MEMBER_A
    )
    assert [e["message_id"] for e in json.loads(body)] == ["ev-a1", "ev-a2"]
    _, headers, body = get(panko_api.url + "/v2/events?limit=1001")
    assert headers["Transfer-Encoding"] == "chunked"
    assert len(json.loads(body)) == 5
    assert get(panko_api.url + "/healthcheck")[2] == b"OK"


def test_panko_api_command_stores_posts(panko_api, storage_conn):
    data = json.dumps([test_post.serialized("m1")]).encode()
    req = urllib.request.Request(
        panko_api.url + "/v2/events",
        data=data,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert json.loads(resp.read()) == {"stored": 1, "duplicates": 0}
    assert [
        e.message_id for e in storage_conn.get_events(models.EventFilter())
    ] == ["m1"]


def test_uwsgi_with_the_shipped_ini(config_file, sample, tmp_path):
    uwsgi = shutil.which("uwsgi", path=str(BIN))
    assert uwsgi, "uwsgi is in test-requirements.txt"
    port = free_port()
    server = Server(
        [uwsgi, "--ini", str(uwsgi_ini(tmp_path, port))],
        port,
        tmp_path / "uwsgi.log",
        env={"PANKO_CONFIG_FILE": config_file},
    )
    try:
        status, _, body = get(
            server.url + "/v2/events/ev-b1", headers=apidata.MEMBER_B
        )
        assert status == 200
        assert json.loads(body)["message_id"] == "ev-b1"
        with pytest.raises(urllib.error.HTTPError) as refused:
            get(server.url + "/v2/event_types", headers=apidata.MEMBER_B)
        assert refused.value.code == 403
    finally:
        server.stop()


def openstack(server, *args):
    """Run an openstack command against ``server``; its JSON output."""
    result = subprocess.run(
        [
            str(BIN / "openstack"),
            "--os-auth-type",
            "none",
            "--os-endpoint",
            server.url,
            *args,
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_openstack_event_commands(panko_api, sample):
    listed = openstack(panko_api, "event", "list")
    assert [e["message_id"] for e in listed] == [
        "ev-a1",
        "ev-a2",
        "ev-b1",
        "ev-n1",
        "ev-admin",
    ]
    filtered = openstack(
        panko_api,
        "event",
        "list",
        "--filter",
        "event_type=compute.instance.create.end",
        "--filter",
        "host=node-1",
        "--limit",
        "1",
        "--sort",
        "generated:desc",
    )
    assert [e["message_id"] for e in filtered] == ["ev-b1"]

    shown = openstack(panko_api, "event", "show", "ev-a1")
    assert shown["event_type"] == "compute.instance.create.end"
    assert shown["generated"] == "2026-01-01T00:00:00"
    assert {t["name"]: t["value"] for t in json.loads(shown["traits"])}[
        "vcpus"
    ] == "2"

    assert openstack(panko_api, "event", "type", "list") == [
        {"Event Type": "compute.instance.create.end"},
        {"Event Type": "compute.instance.delete.end"},
        {"Event Type": "identity.user.created"},
        {"Event Type": "image.update"},
    ]
    described = openstack(
        panko_api, "event", "trait", "description", "image.update"
    )
    assert described == [
        {"name": "name", "type": "string"},
        {"name": "size", "type": "integer"},
    ]
    values = openstack(
        panko_api, "event", "trait", "list", "image.update", "size"
    )
    assert values == [{"name": "size", "value": "123", "type": "integer"}]
