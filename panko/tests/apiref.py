"""The requests behind the samples of the API reference, and their events.

``tools/api-ref-samples.py`` sends each request of :data:`SAMPLES` to the
real API, on a throw-away database holding :func:`events`, and writes what
was sent and answered under ``api-ref/source/samples/``;
``panko/tests/functional/api/test_api_ref_samples.py`` sends them again on
every backend and requires the committed files to be exactly what
:func:`sample_files` makes of the answers. Nothing in an answer varies from
one run to the next: the events, identities and host are fixed here.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import pathlib
import socket
from typing import Any
import urllib.parse

import sqlalchemy as sa
import webtest

from panko.api import errors
from panko.conf import api as api_opts
from panko.storage import base
from panko.storage import models

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES_DIR = ROOT / "api-ref" / "source" / "samples"

# [api] max_request_body_size of the APIs the samples are sent to.
MAX_BODY_SIZE = next(
    opt.default
    for opt in api_opts.API_OPTS
    if opt.name == "max_request_body_size"
)

# The longest line of a sample that the formatting can keep short.
LINE_LENGTH = 79

# The host the samples show in links (webtest's default is localhost).
HOST = "127.0.0.1:8977"

PROJECT_A = "8c1a5e0b3f2d4a6e9b7c0d1e2f3a4b5c"
USER_A = "d2e4f6a8b0c24e6f8a1b3c5d7e9f0a1b"
PROJECT_B = "3f5a7c9e1b2d4f6a8c0e2a4b6d8f0a1c"
USER_B = "6b8d0f2a4c6e4a8c0e2f4b6d8a0c2e4f"
ADMIN_PROJECT = "a0b1c2d3e4f54a6b8c9d0e1f2a3b4c5d"
ADMIN_USER = "f0e1d2c3b4a54968a7b6c5d4e3f2a1b0"

INSTANCE_A = "0f4e2c6a-8b1d-4e3f-9a5c-7d2b1e0f3a6c"
INSTANCE_B = "b7d9f1a3-c5e7-4a9b-8d1f-3e5a7c9b1d2e"

# Message ids of the stored events, in the order they were generated.
EV_CREATE_A = "5b1e0c8a-6d3f-4a8e-9f2b-7c4d1e0a9b36"
EV_CREATE_B = "e3a7c1d9-2f4b-4d6e-8a0c-5b7d9f1e3a2c"
EV_IMAGE = "1c3e5a7b-9d0f-4b2d-8e4a-6c8e0a2b4d6f"
EV_USER = "7a9c1e3f-5b7d-4f9a-8c2e-0d4f6a8c0e2b"
EV_DELETE_A = "9c2d4e6f-8a0b-4c2d-9e4f-6a8b0c2d4e6f"

# Identity headers (noauth mode) of the callers the samples are sent as.
READER_A = {
    "X-Roles": "reader",
    "X-User-Id": USER_A,
    "X-Project-Id": PROJECT_A,
}
ADMIN = {
    "X-Roles": "admin",
    "X-User-Id": ADMIN_USER,
    "X-Project-Id": ADMIN_PROJECT,
}
SERVICE = {
    "X-Roles": "service",
    "X-User-Id": "ceilometer",
    "X-Project-Id": "service",
}

T = models.Trait
TEXT, INT, DT = models.TEXT_TYPE, models.INT_TYPE, models.DATETIME_TYPE


def _instance_traits(project, user, instance, host, vcpus, memory_mb):
    return [
        T("disk_gb", INT, 20),
        T("host", TEXT, host),
        T("instance_id", TEXT, instance),
        T("memory_mb", INT, memory_mb),
        T("project_id", TEXT, project),
        T("user_id", TEXT, user),
        T("vcpus", INT, vcpus),
    ]


def events() -> list[models.Event]:
    """The stored events: two projects, the admin's, and one of no
    project."""
    return [
        models.Event(
            EV_CREATE_A,
            "compute.instance.create.end",
            datetime.datetime(2026, 3, 2, 9, 15, 4, 512384),
            _instance_traits(
                PROJECT_A, USER_A, INSTANCE_A, "compute-1", 1, 2048
            )
            + [
                T("launched_at", DT, datetime.datetime(2026, 3, 2, 9, 15, 3)),
                T("state", TEXT, "active"),
            ],
            {
                "event_type": "compute.instance.create.end",
                "message_id": EV_CREATE_A,
                "priority": "INFO",
                "publisher_id": "nova-compute:compute-1",
                "timestamp": "2026-03-02 09:15:04.512384",
                "payload": {
                    "instance_id": INSTANCE_A,
                    "tenant_id": PROJECT_A,
                    "user_id": USER_A,
                    "host": "compute-1",
                    "state": "active",
                    "vcpus": 1,
                    "memory_mb": 2048,
                    "disk_gb": 20,
                    "launched_at": "2026-03-02T09:15:03.000000",
                },
            },
        ),
        models.Event(
            EV_CREATE_B,
            "compute.instance.create.end",
            datetime.datetime(2026, 3, 2, 10, 2, 41),
            _instance_traits(
                PROJECT_B, USER_B, INSTANCE_B, "compute-2", 4, 8192
            )
            + [
                T("launched_at", DT, datetime.datetime(2026, 3, 2, 10, 2, 40)),
                T("state", TEXT, "active"),
            ],
            {},
        ),
        models.Event(
            EV_IMAGE,
            "image.upload",
            datetime.datetime(2026, 3, 2, 11, 30, 0),
            [
                T("disk_format", TEXT, "qcow2"),
                T("name", TEXT, "cirros-0.6.3"),
                T("project_id", TEXT, ADMIN_PROJECT),
                T("resource_id", TEXT, "4a6c8e0f-2b4d-4f6a-8c0e-2a4c6e8a0b2d"),
                T("size", INT, 21692416),
                T("user_id", TEXT, ADMIN_USER),
            ],
            {},
        ),
        models.Event(
            EV_USER,
            "identity.user.created",
            datetime.datetime(2026, 3, 3, 8, 0, 0),
            [
                T("action", TEXT, "created.user"),
                T("initiator_id", TEXT, ADMIN_USER),
                T("resource_id", TEXT, USER_B),
            ],
            {},
        ),
        models.Event(
            EV_DELETE_A,
            "compute.instance.delete.end",
            datetime.datetime(2026, 3, 3, 16, 40, 12, 250000),
            _instance_traits(
                PROJECT_A, USER_A, INSTANCE_A, "compute-1", 1, 2048
            )
            + [
                T("deleted_at", DT, datetime.datetime(2026, 3, 3, 16, 40, 11)),
                T("state", TEXT, "deleted"),
            ],
            {},
        ),
    ]


def store_events(connection: base.Connection) -> None:
    """Store :func:`events` in an empty store."""
    stored = connection.record_events(events()).stored
    if len(stored) != len(events()):
        raise AssertionError("Only %s were stored." % stored)


# How a sample reaches the API.
NORMAL = "normal"
# A body one byte larger than [api] max_request_body_size.
OVERSIZED = "oversized"
# Sent to an API whose database server does not answer.
UNAVAILABLE = "unavailable"


@dataclasses.dataclass(frozen=True)
class Sample:
    """One request of the API reference and the status it is answered.

    Its files, under :data:`SAMPLES_DIR`: ``<name>-request.json`` (the
    JSON body, when there is one), ``<name>-request.txt`` (the request
    line, when the path has a query string) and ``<name>-response.json``
    or, for an answer that is not JSON, ``<name>-response.txt``.
    """

    name: str
    method: str
    path: str
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    body: Any = None
    status: int = 200
    kind: str = NORMAL


def _query(*pairs: tuple[str, str]) -> str:
    return "?" + urllib.parse.urlencode(pairs, safe=":")


def _condition(field: str, op: str, value: str, type_: str = "") -> tuple:
    """The four q.* arguments of one condition. The API pairs the n-th
    q.type with the n-th q.field, so each condition gives all four, an
    empty q.type meaning the default."""
    return (
        ("q.field", field),
        ("q.op", op),
        ("q.type", type_),
        ("q.value", value),
    )


def serialized_event(message_id, event_type, generated, traits, raw):
    """An event as Ceilometer's http:// publisher posts it."""
    return {
        "message_id": message_id,
        "event_type": event_type,
        "generated": generated,
        "traits": traits,
        "raw": raw,
        "message_signature": (
            "3b6f2a1c9e8d7b5a4c3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c"
        ),
    }


CREATE_BODY = [
    serialized_event(
        "2d4f6a8c-0e1b-4d3f-8a5c-7e9b1d3f5a7c",
        "compute.instance.update",
        "2026-03-04T07:12:30.104217",
        [
            ["host", 1, "compute-2"],
            ["instance_id", 1, INSTANCE_B],
            ["memory_mb", 2, 8192],
            ["project_id", 1, PROJECT_B],
            ["state", 1, "resized"],
            ["user_id", 1, USER_B],
            ["vcpus", 2, 8],
        ],
        {},
    ),
    serialized_event(
        "4f6a8c0e-2b3d-4f5a-9c7e-1b3d5f7a9c0e",
        "volume.create.end",
        "2026-03-04T07:13:02.000000",
        [
            ["availability_zone", 1, "nova"],
            ["created_at", 4, "2026-03-04T07:12:58"],
            ["project_id", 1, PROJECT_B],
            ["resource_id", 1, "8e0a2c4e-6b8d-4a0c-9e2a-4c6e8a0c2e4a"],
            ["size", 2, 10],
            ["user_id", 1, USER_B],
        ],
        {},
    ),
]

# Ceilometer's Event.as_dict(): one event, traits as objects with a dtype.
CREATE_ONE_BODY = {
    "message_id": "6a8c0e2b-4d5f-4a7c-8e9a-3d5f7a9c1e2b",
    "event_type": "image.delete",
    "generated": "2026-03-04T09:45:00",
    "traits": [
        {"name": "project_id", "dtype": 1, "value": ADMIN_PROJECT},
        {
            "name": "resource_id",
            "dtype": 1,
            "value": "4a6c8e0f-2b4d-4f6a-8c0e-2a4c6e8a0b2d",
        },
        {"name": "user_id", "dtype": 1, "value": ADMIN_USER},
    ],
    "raw": {},
}

# Panko's own output (GET /v2/events/{message_id}), stored again: the
# event is already there, so it is counted as a duplicate.
CREATE_EXPORT_BODY = [
    {
        "message_id": EV_USER,
        "event_type": "identity.user.created",
        "traits": [
            {"name": "action", "value": "created.user", "type": "string"},
            {"name": "initiator_id", "value": ADMIN_USER, "type": "string"},
            {"name": "resource_id", "value": USER_B, "type": "string"},
        ],
        "generated": "2026-03-03T08:00:00",
        "raw": {},
    }
]

CREATE_BAD_BODY = [
    serialized_event(
        "8c0e2a4d-6f7b-4c9e-8a1c-5f7b9d1e3a4c",
        "compute.instance.update",
        "2026-03-04T07:20:00",
        [["project_id", 1, PROJECT_B], ["vcpus", 2, "eight"]],
        {},
    )
]

LIST_BODY = {
    "q": [
        {
            "field": "start_timestamp",
            "op": "ge",
            "value": "2026-03-02T00:00:00",
        },
        {"field": "end_timestamp", "op": "le", "value": "2026-03-03T00:00:00"},
        {
            "field": "launched_at",
            "op": "lt",
            "type": "datetime",
            "value": "2026-03-02T12:00:00",
        },
    ],
    "limit": 10,
}


SAMPLES = (
    Sample("versions-list", "GET", "/"),
    Sample("version-show", "GET", "/v2"),
    Sample("healthcheck", "GET", "/healthcheck"),
    Sample(
        "healthcheck-json",
        "GET",
        "/healthcheck",
        headers={"Accept": "application/json"},
    ),
    Sample("capabilities-show", "GET", "/v2/capabilities", READER_A),
    Sample("events-list", "GET", "/v2/events", READER_A),
    Sample(
        "events-list-query",
        "GET",
        "/v2/events"
        + _query(
            *_condition("event_type", "eq", "compute.instance.create.end"),
            *_condition("memory_mb", "ge", "4096", "integer"),
            *_condition("all_tenants", "eq", "True"),
        ),
        ADMIN,
    ),
    Sample("events-list-body", "GET", "/v2/events", READER_A, LIST_BODY),
    Sample(
        "events-list-page",
        "GET",
        "/v2/events"
        + _query(
            ("limit", "1"), ("marker", EV_DELETE_A), ("sort", "generated:desc")
        ),
        READER_A,
    ),
    Sample(
        "events-list-bad-operator",
        "GET",
        "/v2/events" + _query(*_condition("event_type", "ne", "image.upload")),
        READER_A,
        status=400,
    ),
    Sample(
        "events-list-after-position",
        "GET",
        "/v2/events"
        + _query(
            *_condition("position", "gt", "2", "integer"),
            *_condition("all_tenants", "eq", "True"),
            ("limit", "2"),
        ),
        ADMIN,
    ),
    Sample(
        "events-list-bad-position",
        "GET",
        "/v2/events" + _query(*_condition("position", "lt", "2", "integer")),
        READER_A,
        status=400,
    ),
    Sample("events-show", "GET", "/v2/events/" + EV_CREATE_A, READER_A),
    Sample(
        "events-show-not-found",
        "GET",
        "/v2/events/" + EV_CREATE_B,
        READER_A,
        status=404,
    ),
    Sample("events-create", "POST", "/v2/events", SERVICE, CREATE_BODY),
    Sample(
        "events-create-one", "POST", "/v2/events", SERVICE, CREATE_ONE_BODY
    ),
    Sample(
        "events-create-export", "POST", "/v2/events", ADMIN, CREATE_EXPORT_BODY
    ),
    Sample(
        "events-create-bad",
        "POST",
        "/v2/events",
        SERVICE,
        CREATE_BAD_BODY,
        status=400,
    ),
    Sample(
        "events-create-too-large",
        "POST",
        "/v2/events",
        SERVICE,
        status=413,
        kind=OVERSIZED,
    ),
    Sample(
        "events-create-unavailable",
        "POST",
        "/v2/events",
        SERVICE,
        status=503,
        kind=UNAVAILABLE,
    ),
    Sample(
        "event-counts-show",
        "GET",
        "/v2/event_counts"
        + _query(
            *_condition("event_type", "eq", "compute.instance.create.end")
        ),
        READER_A,
    ),
    Sample(
        "event-counts-grouped",
        "GET",
        "/v2/event_counts"
        + _query(
            *_condition("all_tenants", "eq", "True"),
            ("group_by", "project_id"),
            ("group_by", "generated"),
            ("bucket", "day"),
        ),
        ADMIN,
    ),
    Sample(
        "event-counts-bad-group",
        "GET",
        "/v2/event_counts" + _query(("group_by", "generated")),
        ADMIN,
        status=400,
    ),
    Sample("event-types-list", "GET", "/v2/event_types", ADMIN),
    Sample(
        "event-types-list-forbidden",
        "GET",
        "/v2/event_types",
        READER_A,
        status=403,
    ),
    Sample(
        "event-type-show",
        "GET",
        "/v2/event_types/compute.instance.create.end",
        ADMIN,
        status=404,
    ),
    Sample(
        "trait-types-list",
        "GET",
        "/v2/event_types/compute.instance.create.end/traits",
        ADMIN,
    ),
    Sample(
        "trait-values-list",
        "GET",
        "/v2/event_types/compute.instance.create.end/traits/host",
        ADMIN,
    ),
    Sample(
        "trait-values-list-limit",
        "GET",
        "/v2/event_types/compute.instance.create.end/traits/memory_mb"
        + _query(("limit", "1")),
        ADMIN,
    ),
    Sample("error-not-found", "GET", "/v2/meters", ADMIN, status=404),
    Sample("error-method", "DELETE", "/v2/events", ADMIN, status=405),
)


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    content_type: str


def send(api: webtest.TestApp, sample: Sample) -> Answer:
    """Send ``sample`` to ``api``, an API with the default options."""
    headers = dict(sample.headers, Host=HOST)
    body = b""
    if sample.body is not None:
        body = json.dumps(sample.body).encode("utf-8")
    elif sample.kind == OVERSIZED:
        body = b" " * (MAX_BODY_SIZE + 1)
    elif sample.kind == UNAVAILABLE:
        body = json.dumps(CREATE_BODY).encode("utf-8")
    if body:
        headers["Content-Type"] = "application/json"
    resp = api.request(
        sample.path,
        method=sample.method,
        headers=headers,
        body=body,
        expect_errors=True,
    )
    return Answer(
        resp.status_int, dict(resp.headers), resp.body, resp.content_type
    )


def sample_files(sample: Sample, answer: Answer) -> dict[str, str]:
    """The files of ``sample``, by name, given the ``answer`` it got."""
    files = {}
    if sample.body is not None:
        files[sample.name + "-request.json"] = _pretty(sample.body)
    if "?" in sample.path:
        files[sample.name + "-request.txt"] = "%s %s\n" % (
            sample.method,
            sample.path,
        )
    if answer.content_type == "application/json":
        files[sample.name + "-response.json"] = _pretty(
            json.loads(answer.body)
        )
    else:
        files[sample.name + "-response.txt"] = answer.body.decode() + "\n"
    return files


def _pretty(value: Any) -> str:
    return _format(value, "") + "\n"


def _format(value: Any, indent: str) -> str:
    """JSON indented by four spaces, except that a list of scalars that
    fits in the line (a trait as Ceilometer posts it) stays on one."""
    inner = indent + "    "
    if isinstance(value, dict) and value:
        items = [
            "%s%s: %s" % (inner, json.dumps(key), _format(item, inner))
            for key, item in value.items()
        ]
        return "{\n%s\n%s}" % (",\n".join(items), indent)
    if isinstance(value, list) and value:
        flat = json.dumps(value)
        nested = any(isinstance(item, (dict, list)) for item in value)
        if nested or len(inner) + len(flat) > LINE_LENGTH:
            items = [inner + _format(item, inner) for item in value]
            return "[\n%s\n%s]" % (",\n".join(items), indent)
        return flat
    return json.dumps(value)


def check_answer(sample: Sample, answer: Answer) -> None:
    """Raise AssertionError unless ``answer`` is the one ``sample``
    documents: its status, and Retry-After on a 503 (raised, not
    asserted, so that ``python -O`` checks it too)."""
    if answer.status != sample.status:
        raise AssertionError(
            "%s: answered %d, not %d: %r"
            % (sample.name, answer.status, sample.status, answer.body)
        )
    if sample.status == 503:
        header = answer.headers.get("Retry-After")
        if header != str(errors.RETRY_AFTER_S):
            raise AssertionError(
                "%s: Retry-After is %r" % (sample.name, header)
            )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unreachable(url: str) -> str:
    """``url`` with its server moved to a port where nothing listens."""
    moved = sa.engine.make_url(url).set(host="127.0.0.1", port=closed_port())
    return moved.render_as_string(hide_password=False)
