"""POST /v2/events: what Ceilometer's http:// event publisher sends."""

from __future__ import annotations

import datetime
import io
import json

import pytest
import webob

from panko.storage import models
from panko.tests import apidata
from panko.tests import backends

SERVICE = apidata.SERVICE | {"Content-Type": "application/json"}
ADMIN = apidata.ADMIN | {"Content-Type": "application/json"}


def serialized(message_id, project="project-a", **extra):
    """An event as ceilometer.event.models.Event.serialize() makes it."""
    event = {
        "message_id": message_id,
        "event_type": "compute.instance.create.end",
        "generated": "2026-01-01T00:00:00.123456",
        "traits": [
            ["project_id", 1, project],
            ["vcpus", 2, 4],
            ["ratio", 3, 0.25],
            ["launched_at", 4, "2026-01-01T00:00:00"],
        ],
        "raw": {"payload": {"instance_id": "i-1"}},
        "message_signature": "ignored",
    }
    event.update(extra)
    return event


def post(api, body, headers=SERVICE, status=200):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.post("/v2/events", data, headers=headers, status=status)


def stored(storage_conn):
    return {
        e.message_id: e for e in storage_conn.get_events(models.EventFilter())
    }


def fault(resp):
    return resp.json["error_message"]["faultstring"]


def test_a_batch_is_stored(api, storage_conn):
    resp = post(api, [serialized("m1"), serialized("m2", "project-b")])
    assert resp.json == {"stored": 2, "duplicates": 0}
    events = stored(storage_conn)
    assert set(events) == {"m1", "m2"}
    m1 = events["m1"]
    assert m1.generated == datetime.datetime(2026, 1, 1, 0, 0, 0, 123456)
    assert m1.raw == {"payload": {"instance_id": "i-1"}}
    assert {(t.name, t.dtype, t.value) for t in m1.traits} == {
        ("project_id", 1, "project-a"),
        ("vcpus", 2, 4),
        ("ratio", 3, 0.25),
        ("launched_at", 4, datetime.datetime(2026, 1, 1)),
    }


def test_one_object_when_the_publisher_does_not_batch(api, storage_conn):
    assert post(api, serialized("single")).json == {
        "stored": 1,
        "duplicates": 0,
    }
    assert set(stored(storage_conn)) == {"single"}


def test_duplicates_are_skipped_and_counted(api, storage_conn):
    post(api, [serialized("m1")])
    resp = post(api, [serialized("m1"), serialized("m2"), serialized("m2")])
    assert resp.json == {"stored": 1, "duplicates": 2}
    assert set(stored(storage_conn)) == {"m1", "m2"}


def test_the_api_output_can_be_stored_again(api, sample, storage_conn):
    exported = api.get(
        "/v2/events?q.field=all_tenants&q.value=True", headers=apidata.ADMIN
    ).json
    # Emptied, not dropped: event type ids are never reused, which the
    # API's cache of their names relies on.
    backends.purge(storage_conn)
    assert post(api, exported).json == {"stored": 5, "duplicates": 0}
    again = api.get(
        "/v2/events?q.field=all_tenants&q.value=True", headers=apidata.ADMIN
    ).json
    assert again == exported


def test_empty_list(api, storage_conn):
    assert post(api, []).json == {"stored": 0, "duplicates": 0}


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"generated": "soon"}, "event 1: generated: 'soon' is not an ISO "),
        ({"message_id": 7}, "event 1: message_id must be a string"),
        ({"event_type": None}, "event 1: event_type is missing"),
        (
            {"traits": [["vcpus", 2, "four"]]},
            "event 1: trait vcpus: 'four' is not an integer",
        ),
        ({"traits": [["x", 9, "v"]]}, "event 1: trait x: dtype 9 is not"),
        ({"colour": "red"}, "event 1: unknown keys: colour"),
        ({"raw": {"pad": "x" * 2000}}, "event 1: its raw notification has"),
    ],
)
def test_an_invalid_event_stores_nothing(
    api, conf, storage_conn, bad, message
):
    # The driver checks raw sizes with its own configuration.
    conf.set_override("max_raw_size", 1024, "database")
    body = [serialized("ok-1"), dict(serialized("bad"), **bad)]
    body.append(serialized("ok-2"))
    resp = post(api, body, status=400)
    assert fault(resp).startswith(message), fault(resp)
    assert stored(storage_conn) == {}


@pytest.mark.parametrize(
    "body, status, message",
    [
        (b"", 400, "The body must be a JSON list of events"),
        (b"[{", 400, "The body is not valid JSON"),
        (
            b'"events"',
            400,
            "the body must be a JSON list of events or one "
            "event object, not a string",
        ),
        (b"[1]", 400, "event 0: an event must be a JSON object"),
    ],
)
def test_bad_bodies(api, storage_conn, body, status, message):
    resp = post(api, body, status=status)
    assert message in fault(resp)


def test_body_must_be_json(api):
    resp = post(
        api,
        b"message_id=m1",
        headers=apidata.SERVICE
        | {"Content-Type": "application/x-www-form-urlencoded"},
        status=415,
    )
    assert "application/json" in fault(resp)


def test_body_over_the_limit_is_413(make_app, storage_conn):
    api = make_app(api={"max_request_body_size": 2048})
    events = [serialized("m%d" % i) for i in range(20)]
    resp = post(api, events, status=413)
    assert "2048 bytes" in fault(resp)
    assert stored(storage_conn) == {}


def test_chunked_body_over_the_limit_is_413(make_app, storage_conn):
    api = make_app(api={"max_request_body_size": 2048})
    data = json.dumps([serialized("m%d" % i) for i in range(20)]).encode()
    # A body without Content-Length, as a chunked client sends it.
    req = webob.Request.blank("/v2/events", method="POST", headers=SERVICE)
    req.body_file_raw = io.BytesIO(data)
    req.environ.pop("CONTENT_LENGTH", None)
    req.environ["wsgi.input_terminated"] = True
    status, _, app_iter = req.call_application(api.app)
    assert status.startswith("413")
    assert b"2048 bytes" in b"".join(app_iter)
    assert stored(storage_conn) == {}


@pytest.mark.parametrize(
    "headers",
    [apidata.MEMBER_A, apidata.READER_A, apidata.NO_ROLES],
    ids=["member", "reader", "no roles"],
)
def test_only_admins_and_services_store(api, storage_conn, headers):
    resp = post(
        api,
        [serialized("m1")],
        headers=headers | {"Content-Type": "application/json"},
        status=403,
    )
    assert "telemetry:events:create" in fault(resp)
    assert stored(storage_conn) == {}


def test_admin_stores(api, storage_conn):
    assert post(api, [serialized("m1")], headers=ADMIN).json["stored"] == 1


def test_create_rule_from_policy_file(make_app, storage_conn, tmp_path):
    (tmp_path / "policy.yaml").write_text(
        '"telemetry:events:create": "role:publisher"\n'
    )
    api = make_app()
    post(api, [serialized("m1")], status=403)
    headers = SERVICE | {"X-Roles": "publisher"}
    assert post(api, [serialized("m1")], headers=headers).json["stored"] == 1


def test_anonymous_noauth_request_stores_as_the_default_roles(
    make_app, storage_conn
):
    headers = {"Content-Type": "application/json"}
    assert post(make_app(), [serialized("m1")], headers=headers).json == {
        "stored": 1,
        "duplicates": 0,
    }
    api = make_app(api={"noauth_default_roles": ""})
    post(api, [serialized("m2")], headers=headers, status=403)


def test_unknown_query_parameters_are_ignored_with_a_warning(
    api, storage_conn, caplog
):
    """Ceilometer's http:// publisher passes on URL options it does not
    know (a typo such as max_retry=2): refusing them would lose every
    event it sends."""
    with caplog.at_level("WARNING"):
        resp = api.post(
            "/v2/events?max_retry=2&colour=red",
            json.dumps([serialized("typo-1")]).encode(),
            headers=SERVICE,
        )
    assert resp.json == {"stored": 1, "duplicates": 0}
    assert "typo-1" in stored(storage_conn)
    assert "ignores the query parameters colour, max_retry" in caplog.text
