"""OSProfiler in the API pipeline, when it is installed.

``panko.profiler:WsgiMiddleware.factory`` is the filter Panko 10's paste
file names. With osprofiler installed it is osprofiler's own middleware,
which traces only requests signed with one of its HMAC keys (and nothing
while it is disabled); without osprofiler it passes requests through.
"""

from __future__ import annotations

from oslo_utils import importutils

profiler_web = importutils.try_import("osprofiler.web")


class WsgiMiddleware:
    """A pass-through filter standing in for osprofiler's."""

    def __init__(self, application, **kwargs):
        self.application = application

    def __call__(self, environ, start_response):
        return self.application(environ, start_response)

    @classmethod
    def factory(cls, global_conf, **local_conf):
        if profiler_web is not None:
            return profiler_web.WsgiMiddleware.factory(
                global_conf, **local_conf
            )

        def filter_(app):
            return cls(app)

        return filter_
