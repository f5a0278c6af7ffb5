"""Who sees what: every route guarded, project scopes on every backend.

The persona matrices are in gabbi (rbac-*.yaml); this module proves that
no route escapes a policy rule and checks the decisions that need Python.
"""

from __future__ import annotations

import json

import pytest

from panko import policies
from panko.tests import apidata
from panko.tests.functional.api import routes

ALL = "q.field=all_tenants&q.op=eq&q.value=True"

# The version documents are the only routes without a rule: clients read
# them to discover the API before they have a token.
PUBLIC = {("GET", "/"), ("GET", "/v2")}
TEMPLATES = [r for r in routes.walk() if r not in PUBLIC]
ROUTES = [(method, routes.concrete(path)) for method, path in TEMPLATES]


def documented_operations() -> dict[tuple[str, str], list[str]]:
    """The rules naming each (method, path) in their operations."""
    rules: dict[tuple[str, str], list[str]] = {}
    for rule in policies.list_rules():
        for op in getattr(rule, "operations", ()):
            rules.setdefault((op["method"], op["path"]), []).append(rule.name)
    return rules


def test_every_route_has_a_documented_rule():
    """The walk finds the routes; each is in the operations of a rule,
    and every documented operation is a route."""
    assert set(TEMPLATES) == set(documented_operations())
    assert ("POST", "/v2/events") in TEMPLATES and len(TEMPLATES) >= 8


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
