"""A Panko 10 installation, its files untouched, upgraded to panko.

The test is the operator's upgrade: the files a Panko 10 operator has
(``panko/tests/panko10_files.py``: a panko.conf with the deprecated
options, Panko 10's api_paste.ini, a policy.json with overrides, an
event_pipeline.yaml publishing to ``direct://?dispatcher=panko``) and a
database as Panko 10 left it, then ``panko-dbsync``, the publisher loaded
as Ceilometer 27 loads it from that pipeline, and the API served from that
paste file by ``panko/api/app.wsgi``, as an Apache site does.

Every answer is compared, field by field, with what Panko 10.0.0 answered
the same request over the same events (``panko10_answers/``, recorded by
``tools/record-panko10-answers.py``). The only differences allowed are
the named ones below, each for the requests listed in ``ALLOWED`` and only
where it shows; each is described, under its name, in
``doc/source/admin/upgrade-from-panko.rst``.
"""

from __future__ import annotations

from collections.abc import Callable
import copy
import dataclasses
import datetime
import json
import os
import pathlib
import shutil
import subprocess
import sys
from typing import Any
import urllib.parse
import uuid

from bson import json_util
from keystonemiddleware import fixture as ksm_fixture
from oslo_config import cfg
from oslo_utils import netutils
import pymongo
import pytest
import sqlalchemy as sa
from stevedore import driver
import webtest
import yaml

from panko import wire
from panko.api import app as api_app
from panko.storage import models
from panko.tests import backends
from panko.tests import panko10_files
from panko.tests import panko10_schema

ANSWERS = pathlib.Path(__file__).parent / "panko10_answers"
UPGRADE_DOC = (
    pathlib.Path(__file__).parents[4]
    / "doc/source/admin/upgrade-from-panko.rst"
)
CEILOMETER_NAMESPACE = "ceilometer.event.publisher"


def golden(name: str) -> Any:
    return json.loads((ANSWERS / name).read_text())


class CeilometerTrait:
    def __init__(self, name, dtype, value):
        self.name, self.dtype, self.value = name, dtype, value


class CeilometerEvent:
    """Shaped like ceilometer.event.models.Event."""

    def __init__(self, data):
        self.message_id = data["message_id"]
        self.event_type = data["event_type"]
        self.generated = datetime.datetime.fromisoformat(data["generated"])
        self.traits = [
            CeilometerTrait(
                name,
                dtype,
                datetime.datetime.fromisoformat(value)
                if dtype == models.DATETIME_TYPE
                else value,
            )
            for name, dtype, value in data["traits"]
        ]
        self.raw = data["raw"]


def ceilometer_publishers(pipeline_file: str) -> list:
    """The publishers of every sink, loaded as Ceilometer 27's pipeline
    loads them: stevedore by URL scheme, then the class called with
    Ceilometer's configuration and the parsed URL."""
    with open(pipeline_file) as f:
        pipeline = yaml.safe_load(f)
    conf = cfg.ConfigOpts()
    conf([], project="ceilometer", default_config_files=[])
    loaded = []
    for sink in pipeline["sinks"]:
        for url in sink["publishers"]:
            parsed = netutils.urlsplit(url)
            cls = driver.DriverManager(CEILOMETER_NAMESPACE, parsed.scheme)
            loaded.append(cls.driver(conf, parsed))
    return loaded


def answer_of(resp: webtest.TestResponse, request: dict) -> dict:
    """An answer in the shape the recorder gave Panko 10's."""
    content_type = resp.headers.get("Content-Type", "").split(";")[0]
    if content_type == "application/json" and resp.body:
        body = resp.json
    else:
        body = resp.text
    got = {"status": resp.status_int, "content_type": content_type}
    got["body"] = body
    if request.get("record_headers"):
        got["headers"] = {
            name: resp.headers.get(name) for name in request["record_headers"]
        }
    return got


@dataclasses.dataclass(frozen=True)
class Golden:
    """What Panko 10 answered, by request name, and the events it was
    given before the upgrade."""

    answers: dict[str, dict]
    personas: dict[str, dict]
    old_events: list[dict]

    def every_event(self) -> list[dict]:
        """Every event, as Panko 10 listed them to an admin."""
        return self.answers["events_all_tenants_limit_100"]["body"]


def trait_value(event: dict, name: str) -> str | None:
    for trait in event["traits"]:
        if trait["name"] == name and trait["type"] == "string":
            return trait["value"]
    return None


def fault(answer: dict) -> dict:
    return answer["body"]["error_message"]


# Each difference takes the request, Panko 10's answer and panko's, and
# returns them with that one difference accounted for, after checking that
# Panko 10's answer is the one the difference describes.
Adjust = Callable[[dict, dict, dict, Golden], tuple[dict, dict]]


@dataclasses.dataclass(frozen=True)
class Difference:
    name: str
    adjust: Adjust
    # False for a difference that may not show (an order left undefined).
    always_shows: bool = True


def version_document_without_xml(request, want, got, golden):
    """The version documents list no XML media type: panko serves JSON
    only."""
    want = copy.deepcopy(want)
    for version in want["body"]["versions"]["values"]:
        media = version["media-types"]
        assert any(m["base"] == "application/xml" for m in media)
        version["media-types"] = [
            m for m in media if m["base"] != "application/xml"
        ]
    return want, got


def v2_version_document(request, want, got, golden):
    """GET /v2 is the version document of v2; Panko 10 answered 404."""
    assert want["status"] == 404
    versions, _ = version_document_without_xml(
        request, golden.answers["versions"], got, golden
    )
    [v2] = versions["body"]["versions"]["values"]
    return dict(want, status=200, body={"version": v2}), got


def project_scope(request, want, got, golden):
    """A caller who may not see every project sees every event of their
    project; Panko 10 showed only those whose user_id trait was theirs."""
    persona = golden.personas[request["persona"]]
    project, user = persona["project_id"], persona["user_id"]
    theirs = [
        e
        for e in golden.every_event()
        if trait_value(e, "project_id") == project
    ]
    if request["path"].startswith("/v2/events?"):
        # Listings of at most 100 events, in the default order.
        assert "limit=100" in request["path"]
        assert all(
            e in theirs and trait_value(e, "user_id") == user
            for e in want["body"]
        )
        return dict(want, body=theirs), got
    message_id = request["path"].rsplit("/", 1)[1]
    [event] = [e for e in theirs if e["message_id"] == message_id]
    assert want["status"] == 404
    assert trait_value(event, "user_id") != user
    return dict(want, status=200, body=event), got


def all_tenants_of_non_admin(request, want, got, golden):
    """all_tenants=True from a caller who may not see every project is
    ignored; Panko 10 took it for a filter on a trait of that name, and
    found nothing."""
    assert want["body"] == []
    alone = golden.answers["events_%s" % request["persona"]]
    return dict(want, body=alone["body"]), got


def error_wording(request, want, got, golden):
    """Error messages are worded anew; the status, the fault code and the
    shape of the body stay Panko 10's."""
    assert (
        set(fault(want))
        == set(fault(got))
        == {
            "faultcode",
            "faultstring",
            "debuginfo",
        }
    )
    assert fault(got)["faultstring"]
    want, got = copy.deepcopy(want), copy.deepcopy(got)
    fault(want)["faultstring"] = fault(got)["faultstring"] = "..."
    return want, got


def errors_as_faults(request, want, got, golden):
    """Errors decided before the API's controllers (an unknown route, a
    refused event type listing) have the fault body of every other error;
    Panko 10 put a page of text in error_message."""
    text = want["body"]["error_message"]
    assert isinstance(text, str)
    body = {
        "error_message": {
            "faultcode": "Client",
            "faultstring": text,
            "debuginfo": None,
        }
    }
    return dict(want, body=body), got


def refusal_is_403(request, want, got, golden):
    """A caller the policy refuses gets 403; Panko 10 answered 401, which
    asks for other credentials, on the event type and trait routes."""
    assert want["status"] == 401
    return dict(want, status=403), got


def trait_types_by_name(request, want, got, golden):
    """Trait types are listed by name; Panko 10 listed the string ones,
    then integer, float and datetime."""
    ordered = sorted(want["body"], key=lambda t: (t["name"], t["type"]))
    assert ordered != want["body"]
    return dict(want, body=ordered), got


def trait_values_unordered(request, want, got, golden):
    """Trait values come in no defined order, in panko as in Panko 10
    (whose order changed from one run to the next on MariaDB)."""

    def ordered(answer):
        key = lambda t: (t["value"], t["type"])  # noqa: E731
        return dict(answer, body=sorted(answer["body"], key=key))

    return ordered(want), ordered(got)


def client_error_not_500(request, want, got, golden):
    """A bad timestamp or an unknown marker is the client's error, 400;
    Panko 10 answered 500."""
    assert want["status"] == 500 and fault(want)["faultcode"] == "Server"
    want = copy.deepcopy(want)
    want["status"] = 400
    fault(want)["faultcode"] = "Client"
    return want, got


def _refused(want: dict, status: int) -> dict:
    """``want`` turned into a refusal; error_wording then compares the
    message."""
    body = {
        "error_message": {
            "faultcode": "Client",
            "faultstring": "",
            "debuginfo": None,
        }
    }
    return dict(
        want, status=status, content_type="application/json", body=body
    )


def limit_zero_refused(request, want, got, golden):
    """limit=0 is refused, 400; Panko 10 took it for the default limit."""
    assert want == golden.answers["events_admin_default"]
    return _refused(want, 400), got


def unclear_conditions_refused(request, want, got, golden):
    """A condition without field or without value, an all_tenants that is
    not a boolean, or the same event field twice is refused, 400. Panko 10
    answered: a missing value matched nothing, all_tenants=maybe was
    false, the last of two event_type conditions won, and a condition
    without field was a database error (500) on PostgreSQL and matched
    nothing on MariaDB."""
    assert want["status"] == 200 or (
        want["status"] == 500 and request["name"].endswith("without_field")
    )
    return _refused(want, 400), got


def xml_not_served(request, want, got, golden):
    """A request that accepts only XML is answered 406; Panko 10 answered
    XML."""
    assert want["content_type"] == "application/xml"
    return _refused(want, 406), got


def capabilities_rule(request, want, got, golden):
    """/v2/capabilities asks its rule, telemetry:capabilities:show (an
    admin, or a reader or member of the project); Panko 10 answered any
    token."""
    assert want == golden.answers["capabilities"]
    return _refused(want, 403), got


def _milliseconds(text: str) -> str:
    value = datetime.datetime.fromisoformat(text)
    return value.replace(
        microsecond=value.microsecond // 1000 * 1000
    ).isoformat()


def mongodb_times_in_milliseconds(request, want, got, golden):
    """Panko 10's MongoDB driver kept times to the millisecond: the events
    it stored come back so, and the time filters see them so."""
    old = {e["message_id"]: e for e in golden.old_events}
    old_times = {
        value
        for e in golden.old_events
        for _name, dtype, value in e["traits"]
        if dtype == models.DATETIME_TYPE
    }

    def event(e):
        if e.get("message_id") not in old:
            return e
        traits = [
            dict(t, value=_milliseconds(t["value"]))
            if t["type"] == "datetime"
            else t
            for t in e["traits"]
        ]
        return dict(e, generated=_milliseconds(e["generated"]), traits=traits)

    body = want["body"]
    if isinstance(body, dict) and "message_id" in body:
        body = event(body)
    elif isinstance(body, list) and body and "message_id" in body[0]:
        body = [event(e) for e in body]
        window = dict(
            zip(
                *[
                    urllib.parse.parse_qs(
                        urllib.parse.urlsplit(request["path"]).query
                    ).get(key, [])
                    for key in ("q.field", "q.value")
                ],
                strict=True,
            )
        )
        if "start_timestamp" in window:
            body = [
                e for e in body if e["generated"] >= window["start_timestamp"]
            ]
        if "end_timestamp" in window:
            body = [
                e for e in body if e["generated"] <= window["end_timestamp"]
            ]
    elif isinstance(body, list) and body and "value" in body[0]:
        body = [
            dict(t, value=_milliseconds(t["value"]))
            if t["value"] in old_times
            else t
            for t in body
        ]
    return dict(want, body=body), got


def event_positions_added(request, want, got, golden):
    """Every event panko answers has a ``position``, its last key, which
    Panko 10's did not: it is taken out of panko's answer, and only it."""

    def without(event):
        assert "position" not in event
        return event

    def strip(event):
        assert isinstance(event.get("position"), int), event
        event = dict(event)
        del event["position"]
        return event

    body = got["body"]
    if isinstance(body, dict) and "message_id" in body:
        without(want["body"])
        return want, dict(got, body=strip(body))
    if isinstance(body, list) and body and "message_id" in body[0]:
        for event in want["body"]:
            without(event)
        return want, dict(got, body=[strip(e) for e in body])
    return want, got


# The adjustments of every request on a backend.
BACKEND_DIFFERENCES = {"mongodb": ("mongodb_times_in_milliseconds",)}
# The adjustments of every request everywhere, before any other.
EVERY_REQUEST = ("event_positions_added",)

SOMETIMES = (
    trait_values_unordered,
    mongodb_times_in_milliseconds,
    event_positions_added,
)
DIFFERENCES = {
    d.__name__: Difference(d.__name__, d, d not in SOMETIMES)
    for d in (
        event_positions_added,
        mongodb_times_in_milliseconds,
        version_document_without_xml,
        v2_version_document,
        project_scope,
        all_tenants_of_non_admin,
        error_wording,
        errors_as_faults,
        refusal_is_403,
        trait_types_by_name,
        trait_values_unordered,
        client_error_not_500,
        limit_zero_refused,
        unclear_conditions_refused,
        capabilities_rule,
        xml_not_served,
    )
}
# Not an answer to compare: checked by storing such an event.
LONG_TEXT_TRAITS_KEPT_WHOLE = "long_text_traits_kept_whole"

WORDING = ("error_wording",)
REFUSED_LISTING = ("refusal_is_403", "errors_as_faults", "error_wording")
ALLOWED = {
    "versions": ("version_document_without_xml",),
    "cors_simple_request": ("version_document_without_xml",),
    "v2_root": ("v2_version_document",),
    "events_member_a": ("project_scope",),
    "events_member_a2": ("project_scope",),
    "events_member_b": ("project_scope",),
    "events_legacy_member": ("project_scope",),
    "events_member_a_all_tenants": (
        "all_tenants_of_non_admin",
        "project_scope",
    ),
    "show_member_a_other_user_same_project": ("project_scope",),
    "show_admin_other_project": WORDING,
    "show_member_a_no_project": WORDING,
    "show_member_b_of_project_a": WORDING,
    "show_legacy_member": WORDING,
    "show_auditor_other_project": WORDING,
    "show_unknown": WORDING,
    "event_type_one": WORDING,
    "event_types_member": REFUSED_LISTING,
    "traits_member": REFUSED_LISTING,
    "trait_values_member": REFUSED_LISTING,
    "traits_compute_create": ("trait_types_by_name",),
    "traits_volume_create": ("trait_types_by_name",),
    "trait_values_host": ("trait_values_unordered",),
    "trait_values_launched_at": ("trait_values_unordered",),
    "trait_values_ratio": ("trait_values_unordered",),
    "trait_values_integer": ("trait_values_unordered",),
    "error_bad_operator": WORDING,
    "error_event_type_operator": WORDING,
    "error_start_timestamp_operator": WORDING,
    "error_bad_integer": WORDING,
    "error_bad_float": WORDING,
    "error_bad_datetime": WORDING,
    "error_bad_type": WORDING,
    "error_bad_sort_key": WORDING,
    "error_bad_sort_direction": WORDING,
    "error_limit_negative": WORDING,
    "error_limit_not_a_number": WORDING,
    "error_bad_timestamp": ("client_error_not_500", "error_wording"),
    "error_unknown_marker": ("client_error_not_500", "error_wording"),
    "error_limit_zero": ("limit_zero_refused", "error_wording"),
    "error_condition_without_value": (
        "unclear_conditions_refused",
        "error_wording",
    ),
    "error_all_tenants_not_a_boolean": (
        "unclear_conditions_refused",
        "error_wording",
    ),
    "error_event_field_twice": ("unclear_conditions_refused", "error_wording"),
    "error_condition_without_field": (
        "unclear_conditions_refused",
        "error_wording",
    ),
    "capabilities_legacy_member": ("capabilities_rule", "error_wording"),
    "capabilities_accept_xml": ("xml_not_served", "error_wording"),
    "error_unknown_route": ("errors_as_faults", "error_wording"),
    "error_unknown_event_subpath": ("errors_as_faults", "error_wording"),
}


def compare(
    backend: str, request: dict, want: dict, got: dict, golden: Golden
) -> None:
    """Panko's answer must be Panko 10's, but for the differences allowed
    for this request, each of which must show."""
    # A backend's differences come last: they change what the others
    # expect.
    allowed = (
        EVERY_REQUEST
        + ALLOWED.get(request["name"], ())
        + BACKEND_DIFFERENCES.get(backend, ())
    )
    if any(DIFFERENCES[name].always_shows for name in allowed):
        assert want != got, "%s: no difference any more" % request["name"]
    for name in allowed:
        want, got = DIFFERENCES[name].adjust(request, want, got, golden)
    assert got == want, request["name"]


def test_every_difference_is_in_the_upgrade_doc():
    text = UPGRADE_DOC.read_text()
    for name in [*DIFFERENCES, LONG_TEXT_TRAITS_KEPT_WHOLE]:
        assert "``%s``" % name in text, name
    used = {
        name
        for names in (
            EVERY_REQUEST,
            *ALLOWED.values(),
            *BACKEND_DIFFERENCES.values(),
        )
        for name in names
    }
    assert used == set(DIFFERENCES)


@pytest.fixture
def panko10_database(backend, tmp_path_factory):
    store = backends.make_store(backend, tmp_path_factory)
    yield store.url
    store.destroy()


def fill_panko10_database(backend: str, url: str, events: dict) -> None:
    """The database Panko 10 left, row for row: on SQL, written by
    panko10_schema and checked against what Panko 10 wrote; on MongoDB,
    the very documents Panko 10 wrote."""
    if backend == "mongodb":
        recorded = json_util.loads(
            (ANSWERS / "documents-mongodb.json").read_text()
        )
        client = pymongo.MongoClient(url)
        collection = client.get_default_database()["event"]
        collection.insert_many(recorded["event"])
        for name, keys in recorded["indexes"]:
            if name != "_id_":
                collection.create_index([tuple(k) for k in keys], name=name)
        client.close()
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    panko10_schema.create(engine, wire.events_from_body(events["old"]))
    with engine.connect() as conn:
        assert panko10_schema.describe(conn) == golden(
            "schema-%s.json" % backend
        )
        assert panko10_schema.rows(conn) == golden("rows-%s.json" % backend)
    engine.dispose()


def console_script(name: str) -> str:
    path = shutil.which(name, path=os.path.dirname(sys.executable))
    assert path, "%s is not installed beside the interpreter" % name
    return path


@pytest.mark.backends("postgresql", "mysql", "mongodb")
def test_a_panko10_installation_keeps_working(
    backend, panko10_database, tmp_path, monkeypatch
):
    events = golden("events.json")
    etc = tmp_path / "etc"
    etc.mkdir()
    files = panko10_files.write_operator_files(str(etc), panko10_database)

    fill_panko10_database(backend, panko10_database, events)

    # panko-dbsync, reading /etc/panko/panko.conf as it would.
    monkeypatch.setenv("PANKO_CONFIG_FILE", files["panko.conf"])
    dbsync = subprocess.run(
        [console_script("panko-dbsync")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert dbsync.returncode == 0, dbsync.stderr
    assert "Converted %d of" % len(events["old"]) in (
        dbsync.stdout + dbsync.stderr
    )
    deprecations = [
        line.split("Deprecated: ", 1)[1].split(" is deprecated")[0]
        for line in (dbsync.stdout + dbsync.stderr).splitlines()
        if "Deprecated: " in line
    ]
    assert sorted(deprecations) == sorted(
        [
            'Option "event_connection" from group "database"',
            'Option "es_index_name" from group "database"',
            'Option "max_retries" from group "storage"',
            'Option "retry_interval" from group "storage"',
        ]
    )

    # Ceilometer 27 stores the new events through the pipeline's publisher.
    [publisher] = ceilometer_publishers(files["event_pipeline.yaml"])
    publisher.publish_events([CeilometerEvent(e) for e in events["new"]])

    # The API as the Apache site serves it: app.wsgi, Panko 10's paste
    # file, keystone tokens.
    wsgi_file = pathlib.Path(api_app.__file__).parent / "app.wsgi"
    namespace = {"__name__": "_mod_wsgi_panko"}
    exec(compile(wsgi_file.read_text(), str(wsgi_file), "exec"), namespace)
    api = webtest.TestApp(namespace["application"])
    # Panko 10 on MongoDB did not sort, ignored markers, and so on: panko
    # answers there as Panko 10 did on PostgreSQL.
    recorded = golden(
        "answers-%s.json" % ("postgresql" if backend == "mongodb" else backend)
    )
    tokens = ksm_fixture.AuthTokenFixture()
    tokens.setUp()
    try:
        token_ids = {}
        for name, persona in recorded["personas"].items():
            token_ids[name] = uuid.uuid4().hex
            tokens.add_token_data(
                token_id=token_ids[name],
                user_id=persona["user_id"],
                project_id=persona["project_id"],
                role_list=persona["roles"],
                user_domain_id="default",
                project_domain_id="default",
            )
        golden_answers = Golden(
            {e["request"]["name"]: e["answer"] for e in recorded["exchanges"]},
            recorded["personas"],
            events["old"],
        )
        for exchange in recorded["exchanges"]:
            request = exchange["request"]
            headers = dict(request.get("headers", {}))
            if request["persona"]:
                headers["X-Auth-Token"] = token_ids[request["persona"]]
            kwargs = {"headers": headers, "expect_errors": True}
            if "body" in request:
                kwargs["body"] = json.dumps(request["body"]).encode()
                kwargs["content_type"] = "application/json"
            resp = api.request(
                request["path"], method=request["method"], **kwargs
            )
            compare(
                backend,
                request,
                exchange["answer"],
                answer_of(resp, request),
                golden_answers,
            )

        # long_text_traits_kept_whole: Panko 10 refused an event with a
        # text trait over 255 characters (its column's size) and raised;
        # panko stores it whole.
        assert recorded["long_text_trait"]["raised"]
        long_event = CeilometerEvent(
            {
                "message_id": "long-text-trait",
                "event_type": "long.text",
                "generated": "2026-01-17T00:00:00",
                "traits": [["note", 1, "x" * 300]],
                "raw": {},
            }
        )
        publisher.publish_events([long_event])
        resp = api.get(
            "/v2/events/long-text-trait",
            headers={"X-Auth-Token": token_ids["admin"]},
        )
        assert resp.json["traits"] == [
            {"name": "note", "type": "string", "value": "x" * 300}
        ]

        # What Panko 10's API lists, panko's POST /v2/events takes as it
        # is: the way to move events out of a removed backend.
        listed = golden_answers.answers["events_all_tenants_limit_100"]
        resp = api.post_json(
            "/v2/events",
            listed["body"],
            headers={"X-Auth-Token": token_ids["admin"]},
        )
        assert resp.json == {"stored": 0, "duplicates": len(listed["body"])}
    finally:
        tokens.cleanUp()
