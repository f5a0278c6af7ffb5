"""Identity, policy decisions and the project scope of event queries."""

from __future__ import annotations

from unittest import mock

import pytest

from panko import policies
from panko.api import errors
from panko.api import rbac
from panko.conf import defaults
from panko.tests import apidata
from panko.tests import eventgen


@pytest.fixture
def api_conf(conf):
    defaults.set_lib_defaults(conf)
    conf.set_override("auth_mode", "noauth", "api")
    return conf


@pytest.fixture
def caller(api_conf):
    enforcer = policies.make_enforcer(api_conf)

    def make(headers):
        environ = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in headers.items()
        }
        return rbac.Caller.from_environ(environ, enforcer, api_conf)

    return make


def test_identity_from_headers(caller):
    c = caller(apidata.MEMBER_A)
    assert not c.anonymous
    assert (c.user_id, c.project_id) == ("user-a", "project-a")
    assert c.context.roles == ["member"]
    assert c.target == {"project_id": "project-a", "user_id": "user-a"}
    c.require_identity()


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Roles": "admin"},
        {"X-Roles": "admin", "X-User-Id": "u"},
        {"X-Roles": "admin", "X-Project-Id": "p"},
        {"X-User-Id": "u"},
    ],
)
def test_partial_identity_is_refused(caller, headers):
    c = caller(headers)
    assert not c.anonymous
    with pytest.raises(errors.Forbidden):
        c.require_identity()


def test_anonymous_noauth_request_acts_with_the_default_roles(caller):
    c = caller({})
    assert c.anonymous
    assert c.context.roles == ["admin"]
    c.require_identity()
    assert c.is_admin
    assert c.event_scope() == {}
    assert c.target == {}


def test_an_empty_identity_header_is_not_anonymous(caller):
    c = caller({"X-Roles": ""})
    assert not c.anonymous
    assert c.context.roles == []
    with pytest.raises(errors.Forbidden):
        c.require_identity()


def test_anonymous_without_default_roles_is_refused(caller, api_conf):
    api_conf.set_override("noauth_default_roles", [], "api")
    with pytest.raises(errors.Forbidden, match="noauth_default_roles"):
        caller({}).require_identity()


def test_anonymous_non_admin_sees_nothing(caller, api_conf):
    api_conf.set_override("noauth_default_roles", ["reader"], "api")
    c = caller({})
    c.require_identity()
    assert not c.allowed("telemetry:events:index")
    with pytest.raises(errors.Forbidden):
        c.event_scope()


def test_keystone_mode_has_no_anonymous_callers(caller, api_conf):
    api_conf.set_override("auth_mode", "keystone", "api")
    c = caller({})
    assert not c.anonymous
    assert c.context.roles == []
    with pytest.raises(errors.Forbidden):
        c.require_identity()


@pytest.mark.parametrize(
    "all_tenants, scope",
    [
        (None, {"admin_project": "admin-project"}),
        (False, {"admin_project": "admin-project"}),
        (True, {}),
    ],
)
def test_admin_scope(caller, all_tenants, scope):
    assert caller(apidata.ADMIN).event_scope(all_tenants) == scope


@pytest.mark.parametrize("all_tenants", [None, False, True])
def test_member_scope_never_widens(caller, all_tenants):
    c = caller(apidata.MEMBER_A)
    assert not c.is_admin
    assert c.event_scope(all_tenants) == {"project": "project-a"}


def test_restrict_to_user(caller, api_conf):
    api_conf.set_override("restrict_to_user", True, "api")
    assert caller(apidata.MEMBER_A).event_scope(True) == {
        "project": "project-a",
        "user": "user-a",
    }
    # Admins are never restricted to their user.
    assert caller(apidata.ADMIN).event_scope() == {
        "admin_project": "admin-project"
    }


def test_authorize(caller):
    member = caller(apidata.MEMBER_A)
    member.authorize("telemetry:events:index")
    with pytest.raises(errors.Forbidden) as raised:
        member.authorize("telemetry:event_types:index")
    assert raised.value.status == 403
    assert "telemetry:event_types:index" in raised.value.message
    with pytest.raises(errors.Forbidden):
        member.authorize("telemetry:events:show", {"project_id": "other"})


def test_no_roles_are_refused_everywhere(caller):
    c = caller(apidata.NO_ROLES)
    for rule in policies.list_rules():
        assert not c.allowed(rule.name), rule.name


def test_event_target():
    assert rbac.event_target(eventgen.event(project="p", user="u")) == {
        "project_id": "p",
        "user_id": "u",
    }
    assert rbac.event_target(eventgen.event(project=None, user=None)) == {}


def test_a_decision_is_asked_once_per_rule_and_target(caller):
    c = caller(apidata.MEMBER_A)
    with mock.patch.object(
        c._enforcer, "authorize", wraps=c._enforcer.authorize
    ) as authorize:
        assert c.allowed("telemetry:events:show")
        assert c.allowed("telemetry:events:show", dict(c.target))
        assert not c.allowed(
            "telemetry:events:show", {"project_id": "project-b"}
        )
        assert not c.allowed(
            "telemetry:events:show", {"project_id": "project-b"}
        )
    assert authorize.call_count == 2
