"""The rules in code, their defaults and Panko 10 policy files."""

from __future__ import annotations

import json
import os

from oslo_context import context
from oslo_policy import generator
from oslo_policy import policy
import pytest
import stevedore

from panko import policies
from panko import service
from panko.api.controllers.v2 import capabilities
from panko.api.controllers.v2 import event_counts
from panko.api.controllers.v2 import event_types
from panko.api.controllers.v2 import events
from panko.conf import defaults

RULES_USED_BY_THE_API = {
    events.INDEX,
    events.SHOW,
    events.CREATE,
    event_counts.COUNT,
    event_types.INDEX,
    event_types.SHOW,
    event_types.TRAITS_INDEX,
    event_types.TRAITS_SHOW,
    capabilities.SHOW,
    "segregation",
}


def make_conf(tmp_path, policy_file=None, content=None, **oslo_policy):
    config = tmp_path / "panko.conf"
    lines = ["[oslo_policy]"]
    if policy_file:
        (tmp_path / policy_file).write_text(content)
        lines.append("policy_file = %s" % policy_file)
    lines += ["%s = %s" % item for item in oslo_policy.items()]
    config.write_text("\n".join(lines) + "\n")
    conf = service.new_conf()
    defaults.set_lib_defaults(conf)
    conf(["--config-file", str(config)], project="panko")
    return conf


def ctx(roles, project="p1", user="u1"):
    return context.RequestContext(
        user_id=user, project_id=project, roles=roles
    )


def decisions(enforcer, roles, target=None):
    target = (
        {"project_id": "p1", "user_id": "u1"} if target is None else target
    )
    return {
        rule: enforcer.authorize(rule, target, ctx(roles))
        for rule in sorted(RULES_USED_BY_THE_API)
    }


def test_every_rule_the_api_checks_is_declared():
    names = [r.name for r in policies.list_rules()]
    assert len(names) == len(set(names))
    assert RULES_USED_BY_THE_API | {"context_is_admin"} == set(names)


def test_rules_have_descriptions_and_project_scope():
    for rule in policies.list_rules():
        assert rule.description
        if isinstance(rule, policy.DocumentedRuleDefault):
            assert rule.scope_types == ["project"]
            assert rule.operations


@pytest.mark.parametrize(
    "roles, allowed",
    [
        (["admin"], RULES_USED_BY_THE_API),
        (
            ["member"],
            {events.INDEX, events.SHOW, event_counts.COUNT, capabilities.SHOW},
        ),
        (
            ["reader"],
            {events.INDEX, events.SHOW, event_counts.COUNT, capabilities.SHOW},
        ),
        (["service"], {events.CREATE}),
        ([], set()),
        (["_member_"], set()),
    ],
)
def test_default_decisions(tmp_path, roles, allowed):
    enforcer = policies.make_enforcer(make_conf(tmp_path))
    got = decisions(enforcer, roles)
    assert {rule for rule, ok in got.items() if ok} == allowed


def test_reader_of_another_project_is_refused(tmp_path):
    enforcer = policies.make_enforcer(make_conf(tmp_path))
    other = {"project_id": "p2"}
    assert not enforcer.authorize(events.SHOW, other, ctx(["member"]))
    assert enforcer.authorize(events.SHOW, other, ctx(["admin"]))


def test_a_target_without_project_matches_no_reader(tmp_path):
    enforcer = policies.make_enforcer(make_conf(tmp_path))
    nobody = ctx(["reader"], project=None, user=None)
    assert not enforcer.authorize(events.INDEX, {}, nobody)


def test_unregistered_rule_is_never_allowed(tmp_path):
    enforcer = policies.make_enforcer(make_conf(tmp_path))
    with pytest.raises(policy.PolicyNotRegistered):
        enforcer.authorize("telemetry:events:delete", {}, ctx(["admin"]))


def test_system_scoped_tokens_are_refused(tmp_path):
    enforcer = policies.make_enforcer(make_conf(tmp_path))
    system_admin = context.RequestContext(
        user_id="u", roles=["admin"], system_scope="all"
    )
    assert not enforcer.authorize(events.INDEX, {}, system_admin)


PANKO10_RULES = {
    "context_is_admin": "role:admin",
    "segregation": "rule:context_is_admin",
    "telemetry:events:index": "",
    "telemetry:events:show": "",
}


@pytest.mark.parametrize("name", ["policy.json", "policy.yaml"])
def test_panko10_policy_file_gives_panko10_decisions(tmp_path, name):
    # JSON is valid YAML: the same content serves both file names.
    conf = make_conf(tmp_path, name, json.dumps(PANKO10_RULES))
    enforcer = policies.make_enforcer(conf)
    anyone = decisions(enforcer, ["_member_"])
    assert anyone[events.INDEX] and anyone[events.SHOW]
    assert not anyone["segregation"]
    assert decisions(enforcer, ["admin"])["segregation"]


def test_panko10_policy_json_is_found_without_configuration(
    tmp_path, monkeypatch
):
    (tmp_path / "policy.json").write_text(
        json.dumps({"segregation": "role:auditor"})
    )
    conf = make_conf(tmp_path)
    enforcer = policies.make_enforcer(conf)
    assert enforcer.authorize("segregation", {}, ctx(["auditor"]))
    # ...and the listings that default to segregation follow it.
    assert enforcer.authorize(event_types.INDEX, {}, ctx(["auditor"]))
    assert not enforcer.authorize(event_types.INDEX, {}, ctx(["admin"]))


def test_old_defaults_come_back_without_enforce_new_defaults(tmp_path):
    conf = make_conf(tmp_path, enforce_new_defaults="False")
    enforcer = policies.make_enforcer(conf)
    assert decisions(enforcer, ["_member_"])[events.INDEX]
    assert not decisions(enforcer, ["_member_"])["segregation"]


def test_overrides_in_policy_yaml(tmp_path):
    conf = make_conf(
        tmp_path, "policy.yaml", '"telemetry:events:create": "role:writer"\n'
    )
    enforcer = policies.make_enforcer(conf)
    assert enforcer.authorize(events.CREATE, {}, ctx(["writer"]))
    assert not enforcer.authorize(events.CREATE, {}, ctx(["service"]))


def test_a_changed_policy_file_applies_within_the_reload_interval(
    tmp_path, monkeypatch
):
    clock = [1000.0]
    monkeypatch.setattr(policies.time, "monotonic", lambda: clock[0])
    path = tmp_path / "policy.yaml"
    conf = make_conf(tmp_path, "policy.yaml", "{}\n")
    enforcer = policies.make_enforcer(conf)
    assert enforcer.authorize(events.CREATE, {}, ctx(["service"]))
    path.write_text('"telemetry:events:create": "role:writer"\n')
    stamp = path.stat().st_mtime + 1
    os.utime(path, (stamp, stamp))
    looked = []
    monkeypatch.setattr(
        enforcer, "_load_policy_file", _recording(enforcer, looked)
    )
    # Within the interval the file is not looked at: the old rules hold.
    clock[0] += policies.RELOAD_INTERVAL_S / 2
    assert enforcer.authorize(events.CREATE, {}, ctx(["service"]))
    assert looked == []
    clock[0] += policies.RELOAD_INTERVAL_S
    assert not enforcer.authorize(events.CREATE, {}, ctx(["service"]))
    assert enforcer.authorize(events.CREATE, {}, ctx(["writer"]))
    assert looked == [str(path)]


def _recording(enforcer, looked):
    load = enforcer._load_policy_file

    def recorded(path, *args, **kwargs):
        looked.append(path)
        return load(path, *args, **kwargs)

    return recorded


def test_entry_points_for_the_oslopolicy_commands(tmp_path, monkeypatch):
    config = tmp_path / "panko.conf"
    config.write_text("")
    monkeypatch.setenv("PANKO_CONFIG_FILE", str(config))
    listed = stevedore.DriverManager(
        "oslo.policy.policies", "panko", invoke_on_load=True
    ).driver
    assert {r.name for r in listed} == {r.name for r in policies.list_rules()}
    enforcer = stevedore.DriverManager(
        "oslo.policy.enforcer", "panko", invoke_on_load=True
    ).driver
    assert isinstance(enforcer, policy.Enforcer)
    assert "telemetry:events:create" in enforcer.registered_rules


def test_sample_policy_file(tmp_path):
    output = tmp_path / "policy.yaml.sample"
    generator.generate_sample(
        ["--namespace", "panko", "--output-file", str(output)]
    )
    text = output.read_text()
    for rule in RULES_USED_BY_THE_API:
        assert '#"%s":' % rule in text
