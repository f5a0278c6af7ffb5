"""What each request is given: configuration, caller and storage.

The storage driver is opened on the first request that needs it, behind a
lock, so that the API starts (and answers 503) while the database is
down, and every thread of a process then shares one driver.
"""

from __future__ import annotations

import threading

from oslo_config import cfg
from oslo_policy import policy
from pecan import hooks

from panko import storage
from panko.api import errors
from panko.api import rbac
from panko.storage import base

# A write the API cannot make is answered 503 with Retry-After, and the
# client sends it again: retry only briefly, not for the minutes
# [database] db_max_retries allows the other writers.
API_WRITE_RETRIES = 2


class LazyStorage:
    """The storage driver of the API, opened on first use (or the
    ``connection`` given, which the caller then owns)."""

    def __init__(
        self,
        conf: cfg.ConfigOpts,
        connection: base.Connection | None = None,
    ):
        self._conf = conf
        self._connection = connection
        self._lock = threading.Lock()
        if connection is None:
            # Fail at start, not at the first request, on a URL no
            # driver serves.
            storage.check_backend(storage.connection_url(conf))

    def get(self) -> base.Connection:
        if self._connection is None:
            with self._lock:
                if self._connection is None:
                    self._connection = storage.get_connection(
                        self._conf, write_retries=API_WRITE_RETRIES
                    )
        return self._connection


class AppState:
    """Everything the applications of one paste configuration share."""

    def __init__(
        self,
        conf: cfg.ConfigOpts,
        enforcer: policy.Enforcer,
        storage: LazyStorage,
    ):
        self.conf = conf
        self.enforcer = enforcer
        self.storage = storage


class ContextHook(hooks.PecanHook):
    """Give the request ``conf``, ``caller`` and ``storage``."""

    priority = 10

    def __init__(self, app_state: AppState):
        super().__init__()
        self.app_state = app_state

    def before(self, state):
        request = state.request
        request.conf = self.app_state.conf
        request.storage = self.app_state.storage
        request.caller = rbac.Caller.from_environ(
            request.environ, self.app_state.enforcer, self.app_state.conf
        )


class ErrorHook(hooks.PecanHook):
    """Answer every error, routing ones included, through
    ``panko.api.errors``."""

    priority = 1

    def on_error(self, state, e):
        return errors.to_response(
            e, retry_after=state.request.method == "POST"
        )
