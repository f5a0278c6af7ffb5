"""Events and personas shared by the API tests (webtest and gabbi).

Projects: ``project-a`` (users ``user-a`` and ``user-a2``), ``project-b``
(``user-b``), ``admin-project`` (``admin-user``), and one event with no
project at all.
"""

from __future__ import annotations

import datetime

from panko.storage import models

T = models.Trait
TEXT, INT, FLOAT, DT = (
    models.TEXT_TYPE,
    models.INT_TYPE,
    models.FLOAT_TYPE,
    models.DATETIME_TYPE,
)


def _owner(project, user):
    traits = []
    if project:
        traits.append(T("project_id", TEXT, project))
    if user:
        traits.append(T("user_id", TEXT, user))
    return traits


def sample_events() -> list[models.Event]:
    """Five events, sorted by generated time."""
    return [
        models.Event(
            "ev-a1",
            "compute.instance.create.end",
            datetime.datetime(2026, 1, 1, 0, 0, 0),
            _owner("project-a", "user-a")
            + [
                T("host", TEXT, "node-1"),
                T("vcpus", INT, 2),
                T("ratio", FLOAT, 0.5),
                T("launched_at", DT, datetime.datetime(2026, 1, 1)),
            ],
            {"event_type": "compute.instance.create.end", "n": 1},
        ),
        models.Event(
            "ev-a2",
            "compute.instance.delete.end",
            datetime.datetime(2026, 1, 1, 1, 0, 0, 123456),
            _owner("project-a", "user-a2")
            + [
                T("host", TEXT, "node-2"),
                T("vcpus", INT, 4),
                T("ratio", FLOAT, 1e20),
                T(
                    "launched_at",
                    DT,
                    datetime.datetime(2026, 1, 1, 0, 30, 0, 500),
                ),
            ],
            {"n": 2},
        ),
        models.Event(
            "ev-b1",
            "compute.instance.create.end",
            datetime.datetime(2026, 1, 2, 0, 0, 0),
            _owner("project-b", "user-b")
            + [T("host", TEXT, "node-1"), T("vcpus", INT, 8)],
            {"n": 3},
        ),
        models.Event(
            "ev-n1",
            "image.update",
            datetime.datetime(2026, 1, 3, 0, 0, 0),
            [T("name", TEXT, "cirros"), T("size", INT, 123)],
            None,
        ),
        models.Event(
            "ev-admin",
            "identity.user.created",
            datetime.datetime(2026, 1, 4, 0, 0, 0),
            _owner("admin-project", "admin-user"),
            {},
        ),
    ]


def _headers(roles, user, project):
    return {"X-Roles": roles, "X-User-Id": user, "X-Project-Id": project}


ADMIN = _headers("admin", "admin-user", "admin-project")
MEMBER_A = _headers("member", "user-a", "project-a")
READER_A = _headers("reader", "user-a", "project-a")
MEMBER_B = _headers("member", "user-b", "project-b")
SERVICE = _headers("service", "ceilometer", "service-project")
NO_ROLES = {"X-User-Id": "user-a", "X-Project-Id": "project-a"}


def write_config(path, url: str, **groups: dict) -> str:
    """Write a panko.conf with the database ``url`` and, by group, the
    given options (noauth unless ``api`` says otherwise); return its
    path. The API's middlewares read this file too."""
    groups = {name: dict(options) for name, options in groups.items()}
    groups.setdefault("database", {})["connection"] = url
    groups.setdefault("api", {}).setdefault("auth_mode", "noauth")
    lines = []
    for group, options in groups.items():
        lines.append("[%s]" % group)
        lines += ["%s = %s" % (k, _ini(v)) for k, v in options.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _ini(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def load_conf(config_file: str):
    """A ConfigOpts read from ``config_file`` only."""
    from panko import service

    conf = service.new_conf()
    conf(["--config-file", config_file], project="panko")
    return conf
