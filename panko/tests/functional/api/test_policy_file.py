"""policy.yaml decides: each route's rule, and changes without a restart.

The routes come from the walk of the controllers (``routes.py``) and
their rules from the operations the rules document, so that a route
added later is covered. The policy file is named by ``[oslo_policy]
policy_file``; oslo.policy reads it again when its mtime changes, which
these tests rely on instead of rebuilding the application (looking at it
before every check here, rather than once a second).
"""

from __future__ import annotations

import json
import os

import pytest

from panko import policies
from panko.tests import apidata
from panko.tests.functional.api import routes
from panko.tests.functional.api import test_rbac

SEGREGATION = "segregation"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ROUTE_RULES = [
    (method, template, rule)
    for (method, template), rules in sorted(
        test_rbac.documented_operations().items()
    )
    for rule in rules
    if rule != SEGREGATION
]


class PolicyFile:
    """A policy file outside the configuration directory, rewritten
    with a later mtime each time so that oslo.policy rereads it."""

    def __init__(self, path):
        self.path = path

    def write(self, rules: dict[str, str]) -> None:
        previous = self.path.stat().st_mtime if self.path.exists() else 0
        self.path.write_text(json.dumps(rules))
        stamp = max(previous + 1, self.path.stat().st_mtime)
        os.utime(self.path, (stamp, stamp))


@pytest.fixture(autouse=True)
def look_at_every_check(monkeypatch):
    monkeypatch.setattr(policies, "RELOAD_INTERVAL_S", 0.0)


@pytest.fixture
def policy(tmp_path):
    folder = tmp_path / "policies"
    folder.mkdir()
    return PolicyFile(folder / "panko-policy.yaml")


@pytest.fixture
def policy_api(make_app, policy, sample):
    """The API reading ``policy``'s file, which is not written yet."""
    return make_app(oslo_policy={"policy_file": str(policy.path)})


def call(api, method, path, headers):
    return test_rbac.call(api, method, path, headers)


@pytest.mark.parametrize("method, template, rule", ROUTE_RULES)
def test_denying_a_routes_rule_refuses_it(
    policy_api, policy, method, template, rule
):
    path = routes.concrete(template)
    policy.write({})
    before = call(policy_api, method, path, apidata.ADMIN)
    assert before.status_int != 403, before.body
    policy.write({rule: "!"})
    after = call(policy_api, method, path, apidata.ADMIN)
    assert after.status_int == 403, after.body
    assert rule in after.json["error_message"]["faultstring"]
    policy.write({})
    again = call(policy_api, method, path, apidata.ADMIN)
    assert again.status_int == before.status_int


def test_denying_segregation_narrows_an_admin(policy_api, policy):
    def listed():
        resp = policy_api.get(
            "/v2/events?" + test_rbac.ALL, headers=apidata.ADMIN
        )
        return [e["message_id"] for e in resp.json]

    assert len(listed()) == 5
    policy.write({SEGREGATION: "!"})
    # No longer an admin: all_tenants is ignored, the admin role still
    # reads its own project.
    assert listed() == ["ev-admin"]
    policy_api.get("/v2/event_types", headers=apidata.ADMIN, status=403)


def test_rules_written_later_apply_without_a_restart(policy_api, policy):
    member = apidata.MEMBER_A

    def listed(query=""):
        resp = policy_api.get("/v2/events?" + query, headers=member)
        return [e["message_id"] for e in resp.json]

    assert listed(test_rbac.ALL) == ["ev-a1", "ev-a2"]
    policy_api.get("/v2/event_types", headers=member, status=403)

    policy.write({"telemetry:event_types:index": "role:member"})
    assert policy_api.get("/v2/event_types", headers=member).json

    policy.write({SEGREGATION: "role:admin or role:member"})
    assert len(listed(test_rbac.ALL)) == 5
    # An admin without all_tenants: its project and no project.
    assert listed() == ["ev-a1", "ev-a2", "ev-n1"]

    policy.write({"telemetry:events:index": "role:admin"})
    policy_api.get("/v2/events", headers=member, status=403)
    assert policy_api.get("/v2/events", headers=apidata.ADMIN).json


def test_every_method_of_every_path_is_guarded(policy_api, policy):
    """With every rule refused, no request but the version documents
    gets a 2xx: a route is a 403, a method it does not take a 405 (or a
    404, where pecan reads the path as the collection's with an extra
    argument).
    OPTIONS is the exception: oslo.middleware's CORS filter turns the
    application's refusal into an empty 200 (a preflight answer), which
    says nothing of any event."""
    policy.write({r.name: "!" for r in _rules()})
    taken = set(routes.walk())
    answers = {}
    for template in sorted({path for _, path in taken}):
        path = routes.concrete(template)
        for method in METHODS:
            resp = call(policy_api, method, path, apidata.ADMIN)
            answers[method, template] = resp.status_int
            if method == "OPTIONS":
                assert resp.body == b""
    expected = {}
    for method, template in answers:
        if method == "OPTIONS":
            expected[method, template] = 200
        elif (method, template) in test_rbac.PUBLIC:
            expected[method, template] = 200
        elif (method, template) in taken:
            expected[method, template] = 403
        elif answers[method, template] == 404:
            expected[method, template] = 404
        else:
            expected[method, template] = 405
    assert answers == expected


def _rules():
    return policies.list_rules()


def test_a_default_policy_yaml_created_later_applies(
    make_app, sample, tmp_path
):
    """The default policy_file, policy.yaml beside panko.conf, is looked
    for again until it exists."""
    api = make_app()
    assert api.get("/v2/events", headers=apidata.MEMBER_A).json
    PolicyFile(tmp_path / "policy.yaml").write(
        {"telemetry:events:index": "role:admin"}
    )
    api.get("/v2/events", headers=apidata.MEMBER_A, status=403)
