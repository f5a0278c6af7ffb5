"""Building the WSGI application of the API.

The application is a paste pipeline. The default one, shipped in the
package as ``api_paste.ini`` (and in ``etc/panko/``), is, outermost
first::

    /             cors, http_proxy_to_wsgi, versions document
    /healthcheck  oslo.middleware's healthcheck (no token needed)
    /v2           cors, http_proxy_to_wsgi, request_id, osprofiler,
                  authtoken (keystone mode only), the v2 application

CORS comes first so that browsers' preflight requests are answered
without a token; http_proxy_to_wsgi next, so that every later layer (and
the links of the version documents) sees the URL the client used;
request_id before authtoken, so that refused requests have an id too;
authtoken last, right before the application that trusts the identity
headers it sets. ``[api] auth_mode`` chooses the composite
``panko+keystone`` or ``panko+noauth``; a paste file without those (the
single ``[pipeline:main]`` of Ocata and Pike) is loaded as it is.

The paste file is ``[DEFAULT] api_paste_config``: an absolute path, or a
name looked up beside the configuration files, else the packaged default.
"""

from __future__ import annotations

import os
import threading
from urllib import parse
import uuid

from oslo_config import cfg
from oslo_log import log
from oslo_middleware import healthcheck
from oslo_utils import importutils
from paste import deploy
import pecan

from panko import policies
from panko import service
from panko.api import argspecs
from panko.api import errors
from panko.api import hooks
from panko.conf import defaults
from panko.storage import base

LOG = log.getLogger(__name__)

PACKAGED_PASTE_FILE = os.path.join(os.path.dirname(__file__), "api_paste.ini")
OCATA_APP = "main"
DEFAULT_ROOT = "panko.api.controllers.root.RootController"

# The state of each paste configuration being loaded, by the key paste
# passes on to app_factory (its global_conf holds only strings).
_STATES: dict[str, hooks.AppState] = {}
_STATES_LOCK = threading.Lock()


def paste_file(conf: cfg.ConfigOpts) -> str:
    """The paste file the configuration names, or the packaged one."""
    configured = conf.api_paste_config
    if os.path.isabs(configured):
        if not os.path.exists(configured):
            raise cfg.ConfigFilesNotFoundError([configured])
        return configured
    return conf.find_file(configured) or PACKAGED_PASTE_FILE


def load_app(
    conf: cfg.ConfigOpts,
    name: str | None = None,
    connection: base.Connection | None = None,
):
    """The WSGI application of ``conf``'s paste pipeline.

    :param name: the paste application to load; default ``panko+`` and
        ``[api] auth_mode``, or ``main`` in a paste file that has no
        such composite.
    :param connection: a storage driver to serve, which the caller keeps
        and closes; by default the application opens its own on the
        first request.
    """
    defaults.set_lib_defaults(conf)
    path = paste_file(conf)
    state = hooks.AppState(
        conf,
        policies.make_enforcer(conf),
        hooks.LazyStorage(conf, connection),
    )
    key = uuid.uuid4().hex
    with _STATES_LOCK:
        _STATES[key] = state
    name = name or _app_name(path, conf.api.auth_mode)
    LOG.info("Loading the %s pipeline of %s", name, path)
    global_conf = {"configkey": key}
    if conf.config_file:
        # The filters that name "oslo_config_project = panko" read their
        # options ([cors], [keystone_authtoken]...) from this file rather
        # than from the default locations.
        global_conf["oslo_config_file"] = conf.config_file[0]
    try:
        return deploy.loadapp(
            "config:" + path, name=name, global_conf=global_conf
        )
    finally:
        with _STATES_LOCK:
            _STATES.pop(key, None)


def _app_name(path: str, auth_mode: str) -> str:
    wanted = "panko+%s" % auth_mode
    loader = deploy.loadwsgi.ConfigLoader(path)
    sections = loader.parser.sections()
    if any(s.split(":", 1)[-1].strip() == wanted for s in sections):
        return wanted
    return OCATA_APP


def app_factory(global_config: dict, **local_conf) -> pecan.Pecan:
    """The paste factory of panko's applications; ``root`` names the
    controller class (default: versions document and v2 together)."""
    with _STATES_LOCK:
        state = _STATES.get(global_config.get("configkey", ""))
    if state is None:
        raise RuntimeError(
            "panko.api.app:app_factory builds applications "
            "for panko.api.app.load_app() only."
        )
    root = local_conf.get("root") or DEFAULT_ROOT
    return setup_app(state, importutils.import_class(root)())


def setup_app(state: hooks.AppState, root) -> pecan.Pecan:
    """A pecan application serving the controller ``root``."""
    argspecs.remember()
    app = pecan.make_app(
        root,
        hooks=[hooks.ErrorHook(), hooks.ContextHook(state)],
        force_canonical=False,
        guess_content_type_from_ext=False,
    )
    return URLCheck(BodySizeLimit(app, state.conf.api.max_request_body_size))


class URLCheck:
    """Refuse, with a message saying so, a path or query string that is
    not UTF-8 once percent-decoded (``%ED%A0%80``, an encoded lone
    surrogate; ``%FF``), which webob cannot decode."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        problem = url_problem(environ)
        if problem:
            resp = errors.response(400, problem)
            return resp(environ, start_response)
        return self.app(environ, start_response)


def url_problem(environ: dict) -> str | None:
    """What is wrong with the request's URL, or None."""
    # WSGI hands both over as bytes decoded as latin-1; the server has
    # percent-decoded the path, not the query string.
    parts = (
        ("path", environ.get("PATH_INFO", ""), bytes),
        ("query string", environ.get("QUERY_STRING", ""), _unquote),
    )
    for what, text, decode in parts:
        try:
            decode(text.encode("latin-1")).decode("utf-8")
        except UnicodeEncodeError:
            continue  # not from a PEP 3333 server: nothing to check
        except UnicodeDecodeError:
            return "The %s of the URL is not UTF-8 once percent-decoded." % (
                what
            )
    return None


def _unquote(raw: bytes) -> bytes:
    return parse.unquote_to_bytes(raw)


class MethodCheck:
    """Answer 405, in the API's error shape and with an Allow header, to
    the methods an application that ignores them does not take, and 404
    below its own path (oslo.middleware's healthcheck answers every
    method on every path under /healthcheck)."""

    def __init__(self, app, methods: tuple[str, ...]):
        self.app = app
        self.methods = methods

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "") not in ("", "/"):
            resp = errors.response(404, errors.NOT_FOUND)
            return resp(environ, start_response)
        if environ.get("REQUEST_METHOD") not in self.methods:
            resp = errors.response(
                405,
                errors.METHOD_NOT_ALLOWED,
                {"Allow": ", ".join(self.methods)},
            )
            return resp(environ, start_response)
        return self.app(environ, start_response)


HEALTHCHECK_METHODS = ("GET", "HEAD")


def healthcheck_factory(global_config: dict, **local_conf) -> MethodCheck:
    """oslo.middleware's healthcheck application, for GET and HEAD only;
    paste passes it the options of its section."""
    return MethodCheck(
        healthcheck.Healthcheck.app_factory(global_config, **local_conf),
        HEALTHCHECK_METHODS,
    )


class BodySizeLimit:
    """Refuse bodies larger than ``[api] max_request_body_size`` before
    anything reads them: pecan decodes JSON bodies while it routes."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    def __call__(self, environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.limit:
            resp = errors.to_response(errors.body_too_large(self.limit))
            return resp(environ, start_response)
        if not length and "wsgi.input" in environ:
            # A chunked body: stop reading it at the limit.
            environ["wsgi.input"] = _LimitedInput(
                environ["wsgi.input"], self.limit
            )
        return self.app(environ, start_response)


class _LimitedInput:
    """A wsgi.input that raises RequestTooLarge past ``limit`` bytes."""

    def __init__(self, stream, limit: int):
        self._stream = stream
        self._limit = limit
        self._read = 0

    def _count(self, data: bytes) -> bytes:
        self._read += len(data)
        if self._read > self._limit:
            raise errors.body_too_large(self._limit)
        return data

    def read(self, size: int = -1) -> bytes:
        return self._count(self._stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._count(self._stream.readline(size))

    def __iter__(self):
        return iter(self.readline, b"")


def build_wsgi_app(argv: list[str] | None = None):
    """The application of the default configuration files (or of the
    ``--config-file`` options of ``argv``, a command line whose first
    item is the program name, as Panko 10 took it)."""
    conf = service.prepare_service(list(argv[1:]) if argv else [])
    service.check_values(conf)
    return load_app(conf)
