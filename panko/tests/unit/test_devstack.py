"""devstack/plugin.sh, run phase by phase against stand-ins for devstack's
functions (devstack_stubs.sh): what it calls, and the files it writes."""

from __future__ import annotations

import configparser
import getpass
import grp
import pathlib
import pwd
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
STUBS = pathlib.Path(__file__).with_name("devstack_stubs.sh")
STACK = ("stack install", "stack post-config", "stack extra")

# Ceilometer's event_pipeline.yaml as its devstack plugin leaves it with
# CEILOMETER_BACKENDS=gnocchi: the stock notifier:// replaced.
GNOCCHI_PIPELINE = """---
sources:
    - name: event_source
      events:
          - "*"
      sinks:
          - event_sink
sinks:
    - name: event_sink
      publishers:
          - gnocchi://?archive_policy=low&filter_project=service
"""
STOCK_PIPELINE = GNOCCHI_PIPELINE.replace(
    "gnocchi://?archive_policy=low&filter_project=service", "notifier://"
)
FAKE_COMMANDS = ("panko-dbsync", "panko-listener", "python", "uwsgi")


class Devstack:
    """A folder laid out like a devstack host, and a way to run phases."""

    def __init__(self, tmp_path: pathlib.Path, **settings: str):
        self.root = tmp_path
        self.dest = tmp_path / "opt-stack"
        self.dest.mkdir()
        (self.dest / "panko").symlink_to(ROOT)
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        for name in FAKE_COMMANDS:
            self.add_command(name)
        for folder in ("systemd", "apache", "ceilometer", "logs"):
            (tmp_path / folder).mkdir()
        self.log = tmp_path / "calls.log"
        self.log.touch()
        self.conf_dir = tmp_path / "etc-panko"
        self.pipeline = tmp_path / "ceilometer" / "event_pipeline.yaml"
        self.pipeline.write_text(GNOCCHI_PIPELINE)
        self.user = getpass.getuser()
        self.env = {
            "PATH": "%s:/usr/bin:/bin" % self.bin,
            "HOME": str(tmp_path),
            "STUB_LOG": str(self.log),
            "STUB_PYTHON": sys.executable,
            "STUB_BIN": str(self.bin),
            "STUB_ROOT": str(tmp_path),
            "DEST": str(self.dest),
            "LOGDIR": str(tmp_path / "logs"),
            "STACK_USER": self.user,
            "SERVICE_HOST": "192.0.2.10",
            "REGION_NAME": "RegionOne",
            "DATABASE_TYPE": "mysql",
            "ENABLE_DEBUG_LOG_LEVEL": "True",
            "SYSTEMD_DIR": str(tmp_path / "systemd"),
            "SYSTEMCTL": "stub_systemctl",
            "APACHE_NAME": "apache2",
            "ENABLED_SERVICES": "key,mysql,ceilometer-anotification",
            "PANKO_CONF_DIR": str(self.conf_dir),
            "PANKO_AUTH_CACHE_DIR": str(tmp_path / "cache-panko"),
            "CEILOMETER_CONF_DIR": str(tmp_path / "ceilometer"),
        }
        self.env.update(settings)

    def add_command(self, name: str) -> None:
        """A program in the bin folder that logs how it was called."""
        path = self.bin / name
        path.write_text(
            "#!/bin/bash\n"
            'echo "%s $*" | tr "\\n" " " >>"$STUB_LOG"\n'
            'echo >>"$STUB_LOG"\n' % name
        )
        path.chmod(0o755)

    def run(self, *phases: str) -> subprocess.CompletedProcess:
        """Source settings, then plugin.sh once per phase, in one shell,
        as stack.sh, unstack.sh and clean.sh each do."""
        script = ["set -e", "source %s" % STUBS, "source devstack/settings"]
        script += ["source devstack/plugin.sh %s" % phase for phase in phases]
        return subprocess.run(
            ["bash", "-c", "\n".join(script)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def stack(self) -> None:
        result = self.run(*STACK)
        assert result.returncode == 0, result.stderr[-3000:]

    def calls(self, prefix: str = "") -> list[str]:
        return [
            line.rstrip()
            for line in self.log.read_text().splitlines()
            if line.startswith(prefix)
        ]

    def conf(self) -> configparser.RawConfigParser:
        parser = configparser.RawConfigParser()
        parser.read(self.conf_dir / "panko.conf")
        return parser

    def publishers(self) -> list[str]:
        document = yaml.safe_load(self.pipeline.read_text())
        return document["sinks"][0]["publishers"]


@pytest.fixture
def devstack(tmp_path):
    return Devstack(tmp_path)


def ordered(calls: list[str], expected: list[str]) -> bool:
    """True when ``expected`` appear in ``calls`` in this order."""
    remaining = iter(calls)
    return all(any(call == e for call in remaining) for e in expected)


class TestDefaults:
    """MySQL, the API under uwsgi, panko:// in Ceilometer, systemd timer."""

    def test_stack_calls_devstack_in_order(self, devstack):
        devstack.stack()
        conf = str(devstack.conf_dir / "panko.conf")
        uwsgi_ini = str(devstack.conf_dir / "panko-uwsgi.ini")
        url = "http://192.0.2.10:8977"
        expected = [
            "stack_install_service panko",
            "setup_develop %s/panko" % devstack.dest,
            "write_uwsgi_config %s %s/panko/panko/api/app.wsgi  "
            "192.0.2.10:8977 panko-api" % (uwsgi_ini, devstack.dest),
            "create_service_user panko",
            "get_or_create_service panko event "
            "Event storage and query (panko)",
            "get_or_create_endpoint event RegionOne %s %s %s"
            % (url, url, url),
            "recreate_database panko",
            "panko-dbsync --config-file %s" % conf,
            "run_process panko-api %s/uwsgi --procname-prefix panko-api "
            "--ini %s" % (devstack.bin, uwsgi_ini),
            "wait_for_service 30 %s/healthcheck" % url,
            "systemctl daemon-reload",
            "systemctl enable --now panko-expirer.timer",
        ]
        calls = devstack.calls()
        assert ordered(calls, expected), "\n".join(calls)
        # uwsgi is there already; the optional services are not enabled.
        assert not devstack.calls("pip_install")
        assert not devstack.calls("run_process panko-ingest")
        assert not devstack.calls("run_process panko-listener")
        assert not devstack.calls("die")

    def test_panko_conf(self, devstack):
        devstack.stack()
        conf = devstack.conf()
        assert conf.get("database", "connection") == (
            "mysql+pymysql://root:secret@127.0.0.1/panko?charset=utf8mb4"
        )
        assert conf.get("database", "event_time_to_live") == "2592000"
        assert conf.get("api", "auth_mode") == "keystone"
        assert conf.get("keystone_authtoken", "username") == "panko"
        assert conf.get("DEFAULT", "debug") == "True"
        assert not conf.has_option("DEFAULT", "transport_url")

    def test_ceilometer_publishes_to_panko_once(self, devstack):
        devstack.stack()
        devstack.stack()
        assert devstack.publishers() == [
            "panko://",
            "gnocchi://?archive_policy=low&filter_project=service",
        ]

    def test_expirer_units(self, devstack):
        devstack.stack()
        service = (
            devstack.root / "systemd" / "panko-expirer.service"
        ).read_text()
        conf = devstack.conf_dir / "panko.conf"
        assert (
            "ExecStart=%s/panko-expirer --config-file %s"
            % (devstack.bin, conf)
        ) in service.splitlines()
        assert "User=%s" % devstack.user in service.splitlines()
        group = grp.getgrgid(pwd.getpwnam(devstack.user).pw_gid).gr_name
        assert "Group=%s" % group in service.splitlines()
        assert "ConditionPathExists=%s" % conf in service.splitlines()
        timer = (devstack.root / "systemd" / "panko-expirer.timer").read_text()
        assert "OnCalendar=hourly" in timer.splitlines()

    def test_unstack_stops_what_stack_started(self, devstack):
        devstack.stack()
        devstack.log.write_text("")
        result = devstack.run("unstack")
        assert result.returncode == 0, result.stderr[-3000:]
        assert devstack.calls("systemctl") == [
            "systemctl disable --now panko-expirer.timer"
        ]
        assert devstack.calls("stop_process") == ["stop_process panko-api"]

    def test_clean_removes_what_stack_left(self, devstack):
        devstack.stack()
        assert devstack.run("unstack").returncode == 0
        result = devstack.run("clean")
        assert result.returncode == 0, result.stderr[-3000:]
        assert devstack.publishers() == [
            "gnocchi://?archive_policy=low&filter_project=service"
        ]
        assert not devstack.conf_dir.exists()
        assert not list((devstack.root / "systemd").iterdir())
        assert devstack.calls("remove_uwsgi_config") == [
            "remove_uwsgi_config %s panko-api"
            % (devstack.conf_dir / "panko-uwsgi.ini"),
            "remove_uwsgi_config %s panko-ingest"
            % (devstack.conf_dir / "panko-ingest-uwsgi.ini"),
        ]

    def test_uwsgi_is_installed_when_missing(self, devstack):
        (devstack.bin / "uwsgi").unlink()
        result = devstack.run("stack install")
        assert result.returncode == 0, result.stderr[-3000:]
        assert devstack.calls("pip_install") == ["pip_install uwsgi"]


class TestHttpIngest:
    """PostgreSQL, Ceilometer's http:// publisher, cron."""

    @pytest.fixture
    def devstack(self, tmp_path):
        return Devstack(
            tmp_path,
            PANKO_INGEST="http",
            PANKO_EXPIRER="cron",
            DATABASE_TYPE="postgresql",
        )

    def test_stack(self, devstack):
        devstack.stack()
        assert devstack.conf().get("database", "connection") == (
            "postgresql://root:secret@127.0.0.1/panko?client_encoding=utf8"
        )
        assert devstack.publishers() == [
            "http://127.0.0.1:8978/v2/events?timeout=5&max_retries=2",
            "gnocchi://?archive_policy=low&filter_project=service",
        ]
        ingest = configparser.RawConfigParser()
        ingest.read(devstack.conf_dir / "panko-ingest-uwsgi.ini")
        assert ingest.get("uwsgi", "http") == "127.0.0.1:8978"
        assert ingest.get("uwsgi", "env") == "OS_API__AUTH_MODE=noauth"
        assert devstack.calls("run_process panko-ingest") == [
            "run_process panko-ingest %s/uwsgi --procname-prefix "
            "panko-ingest --ini %s"
            % (devstack.bin, devstack.conf_dir / "panko-ingest-uwsgi.ini")
        ]
        assert (devstack.root / "crontab").read_text() == (
            "17 * * * * %s/panko-expirer --config-file %s "
            ">>%s/logs/panko-expirer.log 2>&1 # panko devstack\n"
            % (devstack.bin, devstack.conf_dir / "panko.conf", devstack.root)
        )
        assert not devstack.calls("systemctl")

    def test_unstack_keeps_the_other_cron_jobs(self, devstack):
        (devstack.root / "crontab").write_text("0 0 * * * backup\n")
        devstack.stack()
        devstack.stack()
        assert len((devstack.root / "crontab").read_text().splitlines()) == 2
        assert devstack.run("unstack").returncode == 0
        assert (devstack.root / "crontab").read_text() == "0 0 * * * backup\n"
        assert devstack.calls("stop_process") == [
            "stop_process panko-api",
            "stop_process panko-ingest",
        ]


class TestListenerIngest:
    """Ceilometer's notifier:// and panko-listener; Apache's mod_wsgi."""

    @pytest.fixture
    def devstack(self, tmp_path):
        return Devstack(
            tmp_path, PANKO_INGEST="listener", PANKO_DEPLOY="mod_wsgi"
        )

    def test_stack(self, devstack):
        devstack.stack()
        conf = devstack.conf()
        assert conf.get("DEFAULT", "transport_url").startswith("rabbit://")
        assert devstack.publishers() == [
            "notifier://",
            "gnocchi://?archive_policy=low&filter_project=service",
        ]
        calls = devstack.calls()
        assert ordered(
            calls,
            [
                "install_apache_wsgi",
                "enable_apache_site panko-api",
                "restart_apache_server",
                "run_process panko-listener %s/panko-listener "
                "--config-file %s"
                % (devstack.bin, devstack.conf_dir / "panko.conf"),
            ],
        ), "\n".join(calls)
        assert not devstack.calls("write_uwsgi_config")
        site = (devstack.root / "apache" / "panko-api.conf").read_text()
        assert "%" not in site.replace("%{GROUP}", "").replace("%{GLOBAL}", "")
        assert "Listen 8977" in site.splitlines()
        assert (
            "    WSGIScriptAlias / %s/panko/panko/api/app.wsgi" % devstack.dest
        ) in site.splitlines()
        assert "user=%s" % devstack.user in site

    def test_stock_notifier_is_left_alone(self, devstack):
        devstack.pipeline.write_text(STOCK_PIPELINE)
        devstack.stack()
        assert devstack.pipeline.read_text() == STOCK_PIPELINE

    def test_unstack(self, devstack):
        devstack.stack()
        devstack.log.write_text("")
        assert devstack.run("unstack").returncode == 0
        assert devstack.calls() == [
            "echo_summary Stopping panko",
            "systemctl disable --now panko-expirer.timer",
            "disable_apache_site panko-api",
            "restart_apache_server",
            "stop_process panko-listener",
        ]


class TestMongoDB:
    @pytest.fixture
    def devstack(self, tmp_path):
        return Devstack(
            tmp_path,
            PANKO_BACKEND="mongodb",
            PANKO_MONGODB_URL="mongodb://192.0.2.20:27017/events",
            PANKO_EXPIRER="none",
        )

    def test_stack_and_clean(self, devstack):
        devstack.stack()
        assert devstack.conf().get("database", "connection") == (
            "mongodb://192.0.2.20:27017/events"
        )
        assert devstack.calls("setup_develop") == [
            "setup_develop %s/panko mongodb" % devstack.dest
        ]
        assert not devstack.calls("recreate_database")
        (drop,) = devstack.calls("python")
        assert "drop_database" in drop
        assert drop.endswith("mongodb://192.0.2.20:27017/events")
        assert not devstack.calls("systemctl")
        assert devstack.run("clean").returncode == 0
        assert len(devstack.calls("python")) == 2


class TestRefusals:
    def test_unknown_ingest_stops_the_stack(self, tmp_path):
        devstack = Devstack(tmp_path, PANKO_INGEST="carrier-pigeon")
        result = devstack.run(*STACK)
        assert result.returncode == 1
        (die,) = devstack.calls("die")
        assert die.endswith(
            "PANKO_INGEST must be publisher, http or listener, "
            "not 'carrier-pigeon'"
        )

    def test_unknown_backend_stops_the_stack(self, tmp_path):
        devstack = Devstack(tmp_path, PANKO_BACKEND="es")
        result = devstack.run(*STACK)
        assert result.returncode == 1
        (die,) = devstack.calls("die")
        assert die.endswith(
            "PANKO_BACKEND must be mysql, postgresql or mongodb, not 'es'"
        )

    def test_plugin_enabled_before_ceilometer_is_refused(self, devstack):
        devstack.pipeline.unlink()
        result = devstack.run(*STACK)
        assert result.returncode == 1
        (die,) = devstack.calls("die")
        assert die.endswith(
            "event_pipeline.yaml is missing: list enable_plugin panko "
            "after enable_plugin ceilometer in local.conf"
        )

    def test_without_ceilometer_nothing_is_published(self, tmp_path):
        devstack = Devstack(tmp_path, ENABLED_SERVICES="key,mysql")
        devstack.stack()
        assert devstack.pipeline.read_text() == GNOCCHI_PIPELINE
        assert devstack.calls("run_process") == [
            "run_process panko-api %s/uwsgi --procname-prefix panko-api "
            "--ini %s" % (devstack.bin, devstack.conf_dir / "panko-uwsgi.ini")
        ]
