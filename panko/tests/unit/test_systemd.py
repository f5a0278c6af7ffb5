"""The systemd units in etc/systemd: systemd accepts them, and each runs a
command panko installs with the configuration file panko reads."""

from __future__ import annotations

import configparser
import os
import pathlib
import shlex
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
UNITS_DIR = ROOT / "etc" / "systemd"
UNITS = sorted(
    p for p in UNITS_DIR.iterdir() if p.suffix in (".service", ".timer")
)
INSTALLED_BIN = "/opt/panko/bin/"
# Programs a unit may run that are not panko's own.
SERVERS = {"uwsgi"}
UWSGI_INI = "/etc/panko/panko-uwsgi.ini"
CONFIG_FILE = "/etc/panko/panko.conf"


def parse_unit(path: pathlib.Path) -> dict[str, dict[str, list[str]]]:
    """Sections of a unit file; a key may be repeated (ExecStart=...)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, "%s:%d: %r" % (path, number, raw)
        assert not value.endswith("\\"), "continuation lines are not used"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def declared_scripts() -> set[str]:
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    names = set()
    for kind in ("console_scripts", "wsgi_scripts"):
        for line in setup["entry_points"].get(kind, "").strip().splitlines():
            names.add(line.split("=", 1)[0].strip())
    return names


def test_the_units_are_there():
    names = {p.name for p in UNITS}
    assert {
        "panko-api.service",
        "panko-expirer.service",
        "panko-expirer.timer",
    } <= names


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_unit_structure(path):
    unit = parse_unit(path)
    assert unit["Unit"]["Description"]
    if path.suffix == ".timer":
        assert unit["Timer"]["OnCalendar"]
        (service,) = unit["Timer"]["Unit"]
        assert (UNITS_DIR / service).is_file()
        assert unit["Install"]["WantedBy"] == ["timers.target"]
        return
    service = unit["Service"]
    assert service["User"] == ["panko"]
    assert unit["Unit"]["ConditionPathExists"] == [CONFIG_FILE]
    if service["Type"] != ["oneshot"]:
        assert service["Restart"] == ["on-failure"]
        assert unit["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.parametrize(
    "path", [p for p in UNITS if p.suffix == ".service"], ids=lambda p: p.name
)
def test_exec_start_runs_what_panko_installs(path):
    (command,) = parse_unit(path)["Service"]["ExecStart"]
    argv = shlex.split(command)
    assert argv[0].startswith(INSTALLED_BIN), argv[0]
    program = argv[0][len(INSTALLED_BIN) :]
    if program in SERVERS:
        assert argv[1:3] == ["--ini", UWSGI_INI]
        environment = parse_unit(path)["Service"]["Environment"]
        assert "PANKO_CONFIG_FILE=%s" % CONFIG_FILE in environment
    else:
        assert program in declared_scripts()
        assert argv[1:3] == ["--config-file", CONFIG_FILE]


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install systemd"
    # systemd checks that each command exists: point the units at a folder
    # of stand-ins (the test above checks the real names).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for path in UNITS:
        text = path.read_text().replace(INSTALLED_BIN, "%s/" % bin_dir)
        (tmp_path / path.name).write_text(text)
        for command in (
            parse_unit(path).get("Service", {}).get("ExecStart", [])
        ):
            stand_in = bin_dir / shlex.split(command)[0].rsplit("/", 1)[1]
            if not stand_in.exists():
                os.symlink(shutil.which("true"), stand_in)
    result = subprocess.run(
        [analyze, "verify"] + [str(tmp_path / p.name) for p in UNITS],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, "")
