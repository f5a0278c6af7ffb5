"""Rules of ``/v2/events``."""

from oslo_policy import policy

from panko.policies import base

EVENTS = "telemetry:events:%s"

_PANKO10_REASON = (
    "Panko 10 let any authenticated user list and show the "
    "events of their project; panko asks for the reader "
    "(or member) role of that project, or an administrator"
)

rules = [
    policy.DocumentedRuleDefault(
        name=EVENTS % "index",
        check_str=base.ADMIN_OR_PROJECT_READER,
        scope_types=base.PROJECT_SCOPE,
        description="List the events matching a query. The target is the "
        "project of the caller.",
        operations=[{"path": "/v2/events", "method": "GET"}],
        deprecated_rule=policy.DeprecatedRule(
            name=EVENTS % "index",
            check_str="",
            deprecated_reason=_PANKO10_REASON,
            deprecated_since=base.DEPRECATED_SINCE,
        ),
    ),
    policy.DocumentedRuleDefault(
        name=EVENTS % "show",
        check_str=base.ADMIN_OR_PROJECT_READER,
        scope_types=base.PROJECT_SCOPE,
        description="Show one event. Checked first with the project of the "
        "caller as the target, then with the project_id and "
        "user_id of the event found.",
        operations=[{"path": "/v2/events/{message_id}", "method": "GET"}],
        deprecated_rule=policy.DeprecatedRule(
            name=EVENTS % "show",
            check_str="",
            deprecated_reason=_PANKO10_REASON,
            deprecated_since=base.DEPRECATED_SINCE,
        ),
    ),
    policy.DocumentedRuleDefault(
        name=EVENTS % "count",
        check_str=base.ADMIN_OR_PROJECT_READER,
        scope_types=base.PROJECT_SCOPE,
        description="Count the events matching a query, grouped or not "
        "(panko's addition; it defaults to the rule of the listing). The "
        "events counted are those the caller could list: the target is "
        "the project of the caller.",
        operations=[{"path": "/v2/event_counts", "method": "GET"}],
    ),
    policy.DocumentedRuleDefault(
        name=EVENTS % "create",
        check_str=base.ADMIN_OR_SERVICE,
        scope_types=base.PROJECT_SCOPE,
        description="Store events, as Ceilometer's http:// event "
        "publisher sends them. The target is the project of "
        "the caller.",
        operations=[{"path": "/v2/events", "method": "POST"}],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
