"""Who sees what: every route guarded, project scopes on every backend.

The persona matrices are in gabbi (rbac-*.yaml); this module proves that
no route escapes a policy rule and checks the decisions that need Python.
"""

from __future__ import annotations

import json

from pecan import rest
import pytest

from panko import policies
from panko.api.controllers.v2 import root as v2_root
from panko.tests import apidata

ALL = "q.field=all_tenants&q.op=eq&q.value=True"
METHODS = {"get": "GET", "get_all": "GET", "get_one": "GET", "post": "POST"}


def routes(controller=None, prefix="/v2", depth=0):
    """(method, path) of every action under ``controller``, found by
    walking the pecan controllers, so that a new route cannot be left
    out of these tests."""
    controller = controller or v2_root.V2Controller()
    found = []
    for name in sorted(dir(type(controller))):
        child = getattr(controller, name)
        if isinstance(child, rest.RestController):
            found += _rest_routes(child, "%s/%s" % (prefix, name), depth)
    return found


def _rest_routes(controller, path, depth):
    found = []
    for action, method in METHODS.items():
        if hasattr(controller, action):
            suffix = "/id-%d" % depth if action == "get_one" else ""
            found.append((method, path + suffix))
    for name in sorted(dir(type(controller))):
        child = getattr(controller, name)
        if isinstance(child, rest.RestController):
            found += _rest_routes(
                child, "%s/id-%d/%s" % (path, depth, name), depth + 1
            )
    return found


ROUTES = routes()


def test_the_walk_finds_every_route():
    assert ROUTES == [
        ("GET", "/v2/capabilities"),
        ("GET", "/v2/event_counts"),
        ("GET", "/v2/event_types"),
        ("GET", "/v2/event_types/id-0"),
        ("GET", "/v2/event_types/id-0/traits"),
        ("GET", "/v2/event_types/id-0/traits/id-1"),
        ("GET", "/v2/events"),
        ("GET", "/v2/events/id-0"),
        ("POST", "/v2/events"),
    ]


def call(api, method, path, headers):
    body = b"[]" if method == "POST" else b""
    return api.request(
        path,
        method=method,
        body=body,
        headers=headers | {"Content-Type": "application/json"},
        expect_errors=True,
    )


@pytest.mark.parametrize("method, path", ROUTES)
def test_a_user_without_roles_is_refused_everywhere(api, sample, method, path):
    resp = call(api, method, path, apidata.NO_ROLES)
    assert resp.status_int == 403, resp.body
    assert "policy does not allow" in resp.json["error_message"]["faultstring"]


@pytest.mark.parametrize("method, path", ROUTES)
def test_every_route_asks_a_rule(make_app, sample, tmp_path, method, path):
    """With every rule refusing, even an admin gets nothing anywhere."""
    rules = {rule: "!" for rule in _rule_names()}
    (tmp_path / "policy.yaml").write_text(json.dumps(rules))
    resp = call(make_app(), method, path, apidata.ADMIN)
    assert resp.status_int == 403, resp.body


def _rule_names():
    return [r.name for r in policies.list_rules()]


@pytest.mark.parametrize("method, path", ROUTES)
def test_identity_is_needed(api, sample, method, path):
    headers = {"X-Roles": "admin", "X-Project-Id": "admin-project"}
    resp = call(api, method, path, headers)
    if path == "/v2/capabilities":
        assert resp.status_int == 200
    else:
        assert resp.status_int == 403, resp.body


def test_versions_are_public(api):
    assert api.get("/").status_int == 200
    assert api.get("/v2").status_int == 200
    assert api.get("/healthcheck").status_int == 200


def listed(api, headers, query=""):
    resp = api.get("/v2/events?" + query, headers=headers)
    return [e["message_id"] for e in resp.json]


def test_another_projects_event_is_404_not_403(api, sample):
    resp = api.get("/v2/events/ev-b1", headers=apidata.MEMBER_A, status=404)
    assert resp.json["error_message"]["faultstring"] == (
        "Event ev-b1 not found."
    )


def test_trait_filter_on_another_project_returns_nothing(api, sample):
    for query in (
        "q.field=project_id&q.op=eq&q.value=project-b",
        "q.field=project_id&q.op=ne&q.value=project-a",
        "q.field=all_tenants&q.field=project_id&q.op=eq&q.op=eq"
        "&q.value=True&q.value=project-b",
    ):
        assert listed(api, apidata.MEMBER_A, query) == [], query


def test_show_checks_the_rule_on_the_events_owner(make_app, sample, tmp_path):
    (tmp_path / "policy.yaml").write_text(
        '"telemetry:events:show": "user_id:%(user_id)s"\n'
    )
    api = make_app()
    # Both events are in user-a's project; only ev-a1 is theirs.
    assert api.get(
        "/v2/events/ev-a1", headers=apidata.MEMBER_A
    ).status_int == (200)
    api.get("/v2/events/ev-a2", headers=apidata.MEMBER_A, status=403)


def test_restrict_to_user_as_panko10(make_app, sample):
    api = make_app(api={"restrict_to_user": True})
    assert listed(api, apidata.MEMBER_A) == ["ev-a1"]
    api.get("/v2/events/ev-a2", headers=apidata.MEMBER_A, status=404)
    # Admins are not restricted to their user.
    admin_a = apidata.ADMIN | {"X-Project-Id": "project-a"}
    assert listed(api, admin_a) == ["ev-a1", "ev-a2", "ev-n1"]


def test_panko10_policy_json_decisions(make_app, sample, tmp_path):
    (tmp_path / "policy.json").write_text(
        json.dumps(
            {
                "context_is_admin": "role:admin",
                "segregation": "rule:context_is_admin",
                "telemetry:events:index": "",
                "telemetry:events:show": "",
            }
        )
    )
    api = make_app()
    legacy_member = apidata.MEMBER_A | {"X-Roles": "_member_"}
    assert listed(api, legacy_member) == ["ev-a1", "ev-a2"]
    assert api.get("/v2/events/ev-a1", headers=legacy_member).status_int == 200
    assert listed(api, apidata.ADMIN, ALL) == [
        "ev-a1",
        "ev-a2",
        "ev-b1",
        "ev-n1",
        "ev-admin",
    ]


def test_segregation_override_widens_admin_listings(
    make_app, sample, tmp_path
):
    (tmp_path / "policy.yaml").write_text('"segregation": "role:auditor"\n')
    api = make_app()
    auditor = apidata.READER_A | {"X-Roles": "auditor,reader"}
    assert len(listed(api, auditor, ALL)) == 5
    assert api.get("/v2/event_types", headers=auditor).status_int == 200
    api.get("/v2/event_types", headers=apidata.ADMIN, status=403)


def test_anonymous_noauth_caller(make_app, sample):
    assert len(listed(make_app(), {})) == 5
    api = make_app(api={"noauth_default_roles": ""})
    resp = api.get("/v2/events", status=403)
    assert "noauth_default_roles" in resp.json["error_message"]["faultstring"]
