#!/usr/bin/env python3
"""Record what Panko 10.0.0 answers, as golden data for the upgrade test.

For PostgreSQL and MariaDB in turn, in a throw-away database and a
throw-away HOME, this gives Panko 10 the files of a Panko 10 operator
(``panko/tests/panko10_files.py``), runs its ``panko-dbsync``, stores the
"old" events of ``events.json`` with its ``panko://`` publisher, records
the rows and the schema its driver wrote, stores the "new" events, then
asks its API (built as its app.wsgi did, with keystone tokens stubbed per
persona) every request below and records the answers. On MongoDB (the
SecantusDB server of the test suite) it records the documents Panko 10's
driver wrote for the old events: the upgrade test converts those very
documents. The options Panko 10 registered are recorded once. Everything
is written to ``panko/tests/functional/upgrade/panko10_answers/``.

Run it with panko's virtualenv, from the root of the repository, on a
machine where the databases of the test suite answer::

    .venv/bin/python tools/record-panko10-answers.py [--panko10 VENV]

``VENV`` (default ``/work/peers/panko10``) is a virtualenv with Panko
10.0.0 installed (``../shared/bench/targets/panko10/install.sh``). The
test that reads the answers needs neither that virtualenv nor this tool.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import urllib.parse

from bson import json_util
import pymongo
import sqlalchemy as sa

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from panko.tests import backends  # noqa: E402
from panko.tests import panko10_files  # noqa: E402
from panko.tests import panko10_schema  # noqa: E402

OUT = ROOT / "panko/tests/functional/upgrade/panko10_answers"
HELPER = ROOT / "tools/panko10/helper.py"
BACKENDS = ("postgresql", "mysql", "mongodb")
# Panko 10's config generator listed these namespaces; its paste file
# also loads http_proxy_to_wsgi.
NAMESPACES = (
    "panko",
    "oslo.db",
    "oslo.log",
    "oslo.middleware.cors",
    "oslo.middleware.http_proxy_to_wsgi",
    "oslo.policy",
    "keystonemiddleware.auth_token",
)

PERSONAS = {
    "admin": {
        "user_id": "admin-user",
        "project_id": "admin-project",
        "roles": ["admin"],
    },
    "member_a": {
        "user_id": "user-a",
        "project_id": "project-a",
        "roles": ["member", "reader"],
    },
    "member_a2": {
        "user_id": "user-a2",
        "project_id": "project-a",
        "roles": ["member"],
    },
    "member_b": {
        "user_id": "user-b",
        "project_id": "project-b",
        "roles": ["member"],
    },
    "auditor": {
        "user_id": "auditor-user",
        "project_id": "audit-project",
        "roles": ["auditor"],
    },
    # Any role of the project: Panko 10's policy lets it list, and the
    # operator's policy.json refuses it a single event.
    "legacy_member": {
        "user_id": "user-a",
        "project_id": "project-a",
        "roles": ["_member_"],
    },
}


def query(*conditions, **params) -> str:
    """A query string: (field, op, type, value) conditions, then the
    other parameters (a list value repeats the parameter).

    Panko 10 paired q.field, q.op, q.type and q.value by position, so
    each condition gives all four (op eq and type string when None);
    ``bare=True`` gives fields and values only.
    """
    bare = params.pop("bare", False)
    pairs = []
    for field, op, type_, value in conditions:
        pairs.append(("q.field", field))
        if not bare:
            pairs.append(("q.op", op or "eq"))
            pairs.append(("q.type", type_ or "string"))
        pairs.append(("q.value", value))
    for name, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item))
    return "?" + urllib.parse.urlencode(pairs) if pairs else ""


ALL = ("all_tenants", None, None, "True")


def requests(events: dict) -> list[dict]:
    old, new = events["old"], events["new"]
    ordered = sorted(
        old + new, key=lambda e: (e["generated"], e["message_id"])
    )
    by_time = [e["message_id"] for e in ordered]
    mid = [e["message_id"] for e in old]

    def get(name, path, persona="admin", **extra):
        return dict(
            name=name, method="GET", path=path, persona=persona, **extra
        )

    def events_q(name, *conditions, persona="admin", **params):
        return get(name, "/v2/events" + query(*conditions, **params), persona)

    def filtered(name, *conditions):
        return events_q(name, ALL, *conditions, limit=100)

    return [
        get("versions", "/", None),
        get("healthcheck", "/healthcheck", None),
        get("v2_root", "/v2"),
        get("capabilities", "/v2/capabilities"),
        get("capabilities_without_token", "/v2/capabilities", None),
        get("capabilities_legacy_member", "/v2/capabilities", "legacy_member"),
        get(
            "capabilities_accept_xml",
            "/v2/capabilities",
            headers={"Accept": "application/xml"},
        ),
        get("events_without_token", "/v2/events", None),
        # Listings of an administrator, paged by default_api_return_limit.
        events_q("events_admin_default"),
        events_q("events_all_tenants", ALL),
        events_q("events_all_tenants_limit_100", ALL, limit=100),
        events_q("events_all_tenants_limit_2", ALL, limit=2),
        events_q("events_all_tenants_page_2", ALL, marker=by_time[4]),
        events_q("events_all_tenants_last_page", ALL, marker=by_time[-2]),
        events_q("events_all_tenants_after_last", ALL, marker=by_time[-1]),
        events_q("events_sort_generated_desc", ALL, sort="generated:desc"),
        events_q(
            "events_sort_generated_desc_page_2",
            ALL,
            sort="generated:desc",
            limit=3,
            marker=by_time[-3],
        ),
        events_q("events_sort_message_id", ALL, sort="message_id", limit=100),
        events_q(
            "events_sort_message_id_desc",
            ALL,
            sort="message_id:desc",
            limit=100,
        ),
        events_q(
            "events_sort_two_keys",
            ALL,
            sort=["generated:asc", "message_id:desc"],
            limit=100,
        ),
        events_q(
            "events_sort_message_id_page",
            ALL,
            sort="message_id",
            limit=4,
            marker=sorted(by_time)[3],
        ),
        # Filters on the fields of an event.
        filtered(
            "filter_event_type",
            ("event_type", "eq", None, "compute.instance.create.end"),
        ),
        filtered("filter_message_id", ("message_id", None, None, mid[3])),
        filtered(
            "filter_start_timestamp",
            ("start_timestamp", "ge", None, "2021-03-05T13:14:15.161718"),
        ),
        filtered(
            "filter_end_timestamp",
            ("end_timestamp", "le", None, "2021-03-03T08:00:00.000001"),
        ),
        filtered(
            "filter_time_window",
            ("start_timestamp", "ge", None, "2021-03-02T00:00:00"),
            ("end_timestamp", "le", None, "2021-03-07T00:00:00"),
        ),
        # Filters on traits, of each type and operator.
        filtered("filter_string_eq", ("host", "eq", "string", "node-1")),
        events_q(
            "filter_without_op_and_type",
            ("host", None, None, "node-3"),
            persona="member_b",
            bare=True,
        ),
        filtered("filter_string_ne", ("host", "ne", "string", "node-1")),
        filtered("filter_string_lt", ("state", "lt", "string", "b")),
        filtered("filter_integer_ge", ("vcpus", "ge", "integer", "4")),
        filtered("filter_integer_lt", ("vcpus", "lt", "integer", "0")),
        filtered(
            "filter_integer_big",
            ("memory_mb", "eq", "integer", str(2**40)),
        ),
        filtered("filter_float_gt", ("ratio", "gt", "float", "0.5")),
        filtered("filter_float_le", ("ratio", "le", "float", "0.1")),
        filtered("filter_float_eq", ("size", "eq", "float", "10.5")),
        filtered(
            "filter_datetime_le",
            ("launched_at", "le", "datetime", "2021-03-01T10:00:00"),
        ),
        filtered(
            "filter_datetime_gt",
            ("launched_at", "gt", "datetime", "2021-03-03T07:59:00"),
        ),
        filtered(
            "filter_two_traits",
            ("state", "eq", "string", "active"),
            ("host", "eq", "string", "node-1"),
        ),
        filtered(
            "filter_unicode",
            ("display_name", "eq", "string", "données – 数据"),
        ),
        filtered("filter_long_text", ("checksum", "eq", "string", "c" * 255)),
        filtered(
            "filter_string_value_on_integer_trait",
            ("vcpus", "eq", "string", "2"),
        ),
        filtered("filter_unknown_trait", ("flavor", "eq", "string", "m1")),
        filtered("filter_project_id", ("project_id", "eq", None, "project-b")),
        events_q(
            "filter_project_id_without_all_tenants",
            ("project_id", "eq", None, "project-b"),
        ),
        dict(
            name="filter_in_json_body",
            method="GET",
            path="/v2/events",
            persona="admin",
            body={
                "q": [
                    {"field": "all_tenants", "value": "True"},
                    {"field": "host", "op": "eq", "value": "node-2"},
                ]
            },
        ),
        # What each persona may list.
        events_q("events_member_a", persona="member_a", limit=100),
        events_q("events_member_a2", persona="member_a2", limit=100),
        events_q("events_member_b", persona="member_b", limit=100),
        events_q(
            "events_member_a_all_tenants", ALL, persona="member_a", limit=100
        ),
        events_q(
            "events_member_a_filter_other_project",
            ("project_id", "eq", None, "project-b"),
            persona="member_a",
        ),
        events_q("events_auditor", persona="auditor", limit=100),
        events_q(
            "events_auditor_all_tenants", ALL, persona="auditor", limit=100
        ),
        events_q("events_legacy_member", persona="legacy_member", limit=100),
        # One event.
        get("show_admin_own_project", "/v2/events/" + mid[6]),
        get("show_admin_no_project", "/v2/events/" + mid[4]),
        get("show_admin_other_project", "/v2/events/" + mid[3]),
        get("show_new_event", "/v2/events/" + new[2]["message_id"]),
        get("show_member_a_own", "/v2/events/" + mid[0], "member_a"),
        get(
            "show_member_a_other_user_same_project",
            "/v2/events/" + mid[1],
            "member_a",
        ),
        get("show_member_a_no_project", "/v2/events/" + mid[4], "member_a"),
        get("show_member_b_of_project_a", "/v2/events/" + mid[0], "member_b"),
        get("show_legacy_member", "/v2/events/" + mid[0], "legacy_member"),
        get("show_auditor_other_project", "/v2/events/" + mid[3], "auditor"),
        get("show_auditor_own_project", "/v2/events/" + mid[8], "auditor"),
        get("show_unknown", "/v2/events/no-such-event"),
        # Event types and traits.
        get("event_types", "/v2/event_types"),
        get("event_types_member", "/v2/event_types", "member_a"),
        get("event_types_auditor", "/v2/event_types", "auditor"),
        get("event_type_one", "/v2/event_types/image.update"),
        get(
            "traits_compute_create",
            "/v2/event_types/compute.instance.create.end/traits",
        ),
        get(
            "traits_volume_create", "/v2/event_types/volume.create.end/traits"
        ),
        get("traits_unknown_type", "/v2/event_types/no.such.type/traits"),
        get(
            "traits_member", "/v2/event_types/image.update/traits", "member_a"
        ),
        get(
            "trait_values_host",
            "/v2/event_types/compute.instance.create.end/traits/host",
        ),
        get(
            "trait_values_launched_at",
            "/v2/event_types/compute.instance.create.end/traits/launched_at",
        ),
        get(
            "trait_values_ratio",
            "/v2/event_types/compute.instance.create.end/traits/ratio",
        ),
        get(
            "trait_values_integer",
            "/v2/event_types/image.update/traits/size",
        ),
        get(
            "trait_values_unknown",
            "/v2/event_types/image.update/traits/no_such_trait",
        ),
        get(
            "trait_values_member",
            "/v2/event_types/image.update/traits/size",
            "member_a",
        ),
        # Errors.
        events_q("error_bad_operator", ("host", "foo", None, "x")),
        events_q(
            "error_event_type_operator",
            ("event_type", "ne", None, "image.update"),
        ),
        events_q(
            "error_start_timestamp_operator",
            ("start_timestamp", "lt", None, "2021-03-05T00:00:00"),
        ),
        events_q("error_bad_integer", ("vcpus", "eq", "integer", "abc")),
        events_q("error_bad_float", ("ratio", "eq", "float", "abc")),
        events_q("error_bad_datetime", ("launched_at", "eq", "datetime", "x")),
        events_q("error_bad_type", ("vcpus", "eq", "blob", "1")),
        events_q(
            "error_bad_timestamp",
            ("start_timestamp", "ge", None, "yesterday"),
        ),
        get(
            "error_condition_without_value",
            "/v2/events?q.field=host&q.op=eq&q.type=string",
        ),
        get(
            "error_condition_without_field",
            "/v2/events?q.op=eq&q.type=string&q.value=node-1",
        ),
        events_q(
            "error_all_tenants_not_a_boolean",
            ("all_tenants", None, None, "maybe"),
        ),
        events_q(
            "error_event_field_twice",
            ALL,
            ("event_type", None, None, "image.update"),
            ("event_type", None, None, "volume.create.end"),
        ),
        events_q("error_bad_sort_key", sort="host"),
        events_q("error_bad_sort_direction", sort="generated:up"),
        get(
            "filter_op_given_for_one_condition_of_two",
            "/v2/events?q.field=all_tenants&q.value=True"
            "&q.field=host&q.op=eq&q.value=node-1",
        ),
        events_q("error_limit_zero", limit=0),
        events_q("error_limit_negative", limit=-1),
        events_q("error_limit_not_a_number", limit="ten"),
        events_q("error_unknown_marker", marker="no-such-event"),
        get("error_unknown_route", "/v2/nothing"),
        get("error_unknown_event_subpath", "/v2/events/%s/x" % mid[0]),
        # CORS, with the operator's [cors] allowed_origin.
        dict(
            name="cors_preflight",
            method="OPTIONS",
            path="/v2/events",
            persona=None,
            headers={
                "Origin": panko10_files.CORS_ORIGIN,
                "Access-Control-Request-Method": "GET",
            },
            record_headers=[
                "Access-Control-Allow-Origin",
                "Access-Control-Allow-Methods",
            ],
        ),
        dict(
            name="cors_simple_request",
            method="GET",
            path="/",
            persona=None,
            headers={"Origin": panko10_files.CORS_ORIGIN},
            record_headers=["Access-Control-Allow-Origin"],
        ),
    ]


def helper(panko10: str, home: str, *args: str):
    env = dict(os.environ, HOME=home)
    for name in list(env):
        if name.startswith("OS_") or name.startswith("PANKO"):
            del env[name]
    out = os.path.join(home, "helper-output.json")
    run = subprocess.run(
        [os.path.join(panko10, "bin", "python"), str(HELPER), out, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode:
        raise SystemExit(
            "helper %s failed:\n%s%s" % (args[0], run.stdout, run.stderr)
        )
    with open(out) as f:
        return json.load(f)


def inspect(url: str) -> tuple[dict, dict]:
    """The rows and the schema Panko 10's driver wrote."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        found = panko10_schema.rows(conn), panko10_schema.describe(conn)
    engine.dispose()
    return found


def write(name: str, data) -> None:
    path = OUT / name
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    print("wrote", path.relative_to(ROOT))


class _Folders:
    """What backends.MongoServer asks of pytest's tmp_path_factory."""

    def __init__(self, root: str):
        self.root = pathlib.Path(root)

    def mktemp(self, name: str) -> pathlib.Path:
        path = self.root / name
        path.mkdir()
        return path


def record_mongodb(panko10: str, events_file: str) -> None:
    with tempfile.TemporaryDirectory() as home:
        server = backends.MongoServer(_Folders(home))
        url = server.create_database()
        try:
            folder = os.path.join(home, ".panko")
            os.mkdir(folder)
            panko10_files.write_operator_files(folder, url)
            helper(panko10, home, "dbsync")
            helper(panko10, home, "publish", events_file, "old")
            client = pymongo.MongoClient(url)
            collection = client.get_default_database()["event"]
            documents = {
                "event": list(collection.find().sort("_id")),
                "indexes": sorted(
                    (index["name"], list(index["key"].items()))
                    for index in collection.list_indexes()
                ),
            }
            client.close()
        finally:
            server.drop_database(url)
            server.close()
    path = OUT / "documents-mongodb.json"
    path.write_text(
        json_util.dumps(
            documents,
            json_options=json_util.CANONICAL_JSON_OPTIONS,
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )
    print("wrote", path.relative_to(ROOT))


def record_backend(backend: str, panko10: str, events_file: str) -> None:
    with open(events_file) as f:
        events = json.load(f)
    server = backends.SQLServer(backend)
    url = server.create_database("panko10_golden")
    try:
        with tempfile.TemporaryDirectory() as home:
            folder = os.path.join(home, ".panko")
            os.mkdir(folder)
            panko10_files.write_operator_files(folder, url)
            helper(panko10, home, "dbsync")
            helper(panko10, home, "publish", events_file, "old")
            rows, schema = inspect(url)
            write("rows-%s.json" % backend, rows)
            write("schema-%s.json" % backend, schema)
            published = helper(panko10, home, "publish", events_file, "new")
            spec = {"personas": PERSONAS, "requests": requests(events)}
            spec_file = os.path.join(home, "requests.json")
            with open(spec_file, "w") as f:
                json.dump(spec, f)
            answers = helper(panko10, home, "answer", spec_file)
    finally:
        server.drop_database(url)
        server.close()
    write(
        "answers-%s.json" % backend,
        {
            "recorded_with": "Panko 10.0.0",
            "backend": backend,
            "personas": PERSONAS,
            "long_text_trait": published["long_text_trait"],
            "exchanges": [
                {"request": request, "answer": answer}
                for request, answer in zip(
                    spec["requests"], answers, strict=True
                )
            ],
        },
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--panko10", default="/work/peers/panko10")
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    args = parser.parse_args()
    events_file = str(OUT / "events.json")
    for backend in args.backend or BACKENDS:
        if backend == "mongodb":
            record_mongodb(args.panko10, events_file)
        else:
            record_backend(backend, args.panko10, events_file)
    with tempfile.TemporaryDirectory() as home:
        options = helper(args.panko10, home, "options", *NAMESPACES)
    write("options.json", options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
