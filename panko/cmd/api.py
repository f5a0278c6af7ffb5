"""``panko-api``: the API, served by gunicorn for small installations.

``/usr/bin/panko-api`` is also a WSGI script, as Panko 10's was: pip
writes it as ``from panko.cmd.api import application`` and a call of
``application()``, so that mod_wsgi (``WSGIScriptAlias / /usr/bin/panko-
api``) and uwsgi (``wsgi-file``) find ``application`` in it. Called with
no argument it runs the command; called as a WSGI application it builds
the API from the default configuration files (``PANKO_CONFIG_FILE``,
else ``/etc/panko/panko.conf``) on its first request.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import threading

from gunicorn.app import base as gunicorn_base
from oslo_config import cfg
from oslo_log import log

from panko import service
from panko.api import app

LOG = log.getLogger(__name__)

DEFAULT_PORT = 8977
THREADS = 4
LOOPBACK = "127.0.0.1"
ANY_ADDRESS = "0.0.0.0"  # noqa: S104 - a server, in keystone mode only

# -b and -p, and a "--" before the options of the application, are the
# command line of Panko 10's panko-api, which systemd units still use.
CLI_OPTS = [
    cfg.HostAddressOpt(
        "host",
        short="b",
        help="Address to listen on. Default: every address "
        "in keystone mode, 127.0.0.1 in noauth mode.",
    ),
    cfg.PortOpt(
        "port", short="p", default=DEFAULT_PORT, help="Port to listen on."
    ),
    cfg.IntOpt(
        "workers",
        min=1,
        default=os.cpu_count() or 1,
        help="Number of worker processes, each serving %d requests "
        "at a time. Default: the number of CPUs." % THREADS,
    ),
    cfg.StrOpt(
        "auth-mode",
        choices=["keystone", "noauth"],
        help="Override [api] auth_mode.",
    ),
]


class _Server(gunicorn_base.BaseApplication):
    """gunicorn running the API of ``conf``."""

    def __init__(self, conf: cfg.ConfigOpts):
        self._conf = conf
        super().__init__()

    def load_config(self):
        conf = self._conf
        settings = {
            "bind": bind_address(conf.host, conf.port),
            "workers": conf.workers,
            "worker_class": "gthread",
            "threads": THREADS,
            # Build the application once, before forking: a bad paste or
            # policy file stops the command at once, with its error.
            "preload_app": True,
            "accesslog": "-",
            "errorlog": "-",
            "proc_name": "panko-api",
        }
        if "control_socket_disable" in self.cfg.settings:
            # Newer gunicorns open a control socket in the home folder,
            # one path for every server of the user: panko-api needs none.
            settings["control_socket_disable"] = True
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self):
        return app.load_app(self._conf)


def bind_address(host: str, port: int) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            return "[%s]:%d" % (host, port)
    except ValueError:
        pass
    return "%s:%d" % (host, port)


def parse_args(argv: list[str]) -> cfg.ConfigOpts:
    if "--" in argv:
        # Panko 10: panko-api [--port P] [--host IP] -- [options].
        argv = list(argv)
        argv.remove("--")
    conf = service.new_conf()
    conf.register_cli_opts(CLI_OPTS)
    service.prepare_service(argv, conf=conf)
    service.check_values(conf)
    if conf.auth_mode:
        conf.set_override("auth_mode", conf.auth_mode, "api")
    return conf


def main(argv: list[str] | None = None) -> int:
    conf = parse_args(sys.argv[1:] if argv is None else argv)
    noauth = conf.api.auth_mode == "noauth"
    if conf.host is None:
        conf.set_override("host", LOOPBACK if noauth else ANY_ADDRESS)
    elif noauth and not _is_loopback(conf.host):
        LOG.warning(
            "noauth mode on %s: anyone who can reach this address "
            "can read and write every event.",
            conf.host,
        )
    _Server(conf).run()
    return 0


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Application:
    """The ``panko-api`` command and, called as WSGI, the API."""

    def __init__(self):
        self._app = None
        self._lock = threading.Lock()

    def __call__(self, *wsgi_args):
        if not wsgi_args:
            return main()
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = app.build_wsgi_app()
        return self._app(*wsgi_args)


application = Application()
