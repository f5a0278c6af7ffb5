"""Every option Panko 10.0.0 accepted is still accepted.

``panko10_answers/options.json`` lists the options Panko 10 registered,
its own and those of the libraries its configuration generator listed
(oslo.db, oslo.log, CORS, http_proxy_to_wsgi, oslo.policy,
keystonemiddleware), as its virtualenv had them. A panko.conf setting
each of them to Panko 10's default starts every entry point: no error,
and one warning for each deprecated option, as
``doc/source/admin/upgrade-from-panko.rst`` says.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

from oslo_config import generator
import pytest

ANSWERS = pathlib.Path(__file__).parent / "panko10_answers"
PANKO10_OPTIONS = json.loads((ANSWERS / "options.json").read_text())

# Options the libraries dropped since Panko 10's releases: oslo.config
# ignores them in a file, as the upgrade doc says.
DROPPED_BY_LIBRARIES = {
    # oslo.policy always enforces scope now; panko's rules are project
    # scoped.
    ("oslo_policy", "enforce_scope"),
    # keystonemiddleware: www_authenticate_uri replaced it.
    ("keystone_authtoken", "auth_uri"),
    # oslo.log dropped the Windows event log and the file watcher.
    ("DEFAULT", "use_eventlog"),
    ("DEFAULT", "watch_log_file"),
    # oslo.db dropped MySQL Cluster (NDB) support.
    ("database", "mysql_enable_ndb"),
}

# The options panko deprecated: each warns once at start.
DEPRECATED = {
    ("database", "event_connection"),
    ("database", "es_ssl_enabled"),
    ("database", "es_index_name"),
    ("storage", "max_retries"),
    ("storage", "retry_interval"),
}


def options_today() -> set[tuple[str, str]]:
    """(group, name) of every option of the same namespaces today, and of
    the deprecated names they still accept."""
    names = set()
    namespaces = sorted({o["namespace"] for o in PANKO10_OPTIONS})
    for _namespace, groups in generator._list_opts(namespaces):
        for group, opts in groups:
            group_name = getattr(group, "name", group) or "DEFAULT"
            for opt in opts:
                names.add((group_name, opt.dest))
                names.update(
                    (d.group or group_name, d.name or opt.dest)
                    for d in opt.deprecated_opts
                )
    return names


def test_every_panko10_option_is_still_registered():
    panko10 = {(o["group"], o["name"]) for o in PANKO10_OPTIONS}
    assert panko10 - options_today() == DROPPED_BY_LIBRARIES


def panko10_conf(path: pathlib.Path, database_url: str) -> None:
    """A panko.conf setting every Panko 10 option that had a default to
    that default, and the deprecated event_connection to the database."""
    groups: dict[str, list[str]] = {}
    for option in PANKO10_OPTIONS:
        values = option["default"]
        if (option["group"], option["name"]) == (
            "database",
            "event_connection",
        ):
            values = [database_url]
        if values == ["<None>"]:
            continue
        lines = groups.setdefault(option["group"], [])
        lines += ["%s = %s" % (option["name"], value) for value in values]
    text = "".join(
        "[%s]\n%s\n" % (group, "\n".join(lines))
        for group, lines in groups.items()
    )
    path.write_text(text)


# Each entry point as its console script or WSGI file starts, up to the
# point where it would serve: "CONFIG" is the panko.conf to read.
ENTRY_POINTS = {
    "panko-dbsync": "from panko.cmd import storage\n"
    "sys.exit(storage.dbsync(['--config-file', CONFIG]))\n",
    "panko-expirer": "from panko.cmd import storage\n"
    "sys.exit(storage.expirer(['--config-file', CONFIG]))\n",
    "panko-api": "from panko.cmd import api\n"
    "api._Server.run = lambda self: self.load()\n"
    "sys.exit(api.main(['--config-file', CONFIG]))\n",
    "app.wsgi": "import os, pathlib\n"
    "from panko.api import app\n"
    "os.environ['PANKO_CONFIG_FILE'] = CONFIG\n"
    "path = pathlib.Path(app.__file__).parent / 'app.wsgi'\n"
    "exec(compile(path.read_text(), str(path), 'exec'), {})\n",
    "panko-listener": "from panko.cmd import listener\n"
    "from panko.listener import server\n"
    "server.run = lambda conf: 0\n"
    "sys.exit(listener.main(['--config-file', CONFIG]))\n",
    "ceilometer publisher": "from oslo_utils import netutils\n"
    "from stevedore import driver\n"
    "url = netutils.urlsplit('panko://?config_file=' + CONFIG)\n"
    "cls = driver.DriverManager('ceilometer.event.publisher', 'panko')\n"
    "cls.driver(None, url)\n",
}


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_a_panko10_conf_with_every_option_starts(entry_point, tmp_path):
    config = tmp_path / "panko.conf"
    panko10_conf(config, "sqlite:///%s" % (tmp_path / "panko.sqlite"))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OS_", "PANKO_"))
    }
    env["HOME"] = str(tmp_path)
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nCONFIG = %r\n%s"
            % (str(config), ENTRY_POINTS[entry_point]),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=120,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "ERROR" not in output and "Traceback" not in output, output
    warned = [
        (group, name)
        for group, name in DEPRECATED
        if 'Option "%s" from group "%s" is deprecated' % (name, group)
        in output
    ]
    assert set(warned) == DEPRECATED, output
    for group, name in DEPRECATED:
        assert output.count('"%s" from group "%s"' % (name, group)) == 1
    assert output.count("Deprecated: ") == len(DEPRECATED), output
