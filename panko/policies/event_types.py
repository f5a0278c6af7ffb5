"""Rules of ``/v2/event_types`` and its traits.

These listings cover the events of every project, so Panko 10 allowed them
only to the callers that ``segregation`` lets see every project; the
defaults here keep that by referring to the same rule.
"""

from oslo_policy import policy

from panko.policies import base

rules = [
    policy.DocumentedRuleDefault(
        name="telemetry:event_types:index",
        check_str=base.SEGREGATION,
        scope_types=base.PROJECT_SCOPE,
        description="List the event types of every stored event.",
        operations=[{"path": "/v2/event_types", "method": "GET"}],
    ),
    policy.DocumentedRuleDefault(
        name="telemetry:event_types:show",
        check_str=base.SEGREGATION,
        scope_types=base.PROJECT_SCOPE,
        description="Show one event type (always answered 404, as in "
        "Panko 10, to callers allowed to ask).",
        operations=[{"path": "/v2/event_types/{event_type}", "method": "GET"}],
    ),
    policy.DocumentedRuleDefault(
        name="telemetry:traits:index",
        check_str=base.SEGREGATION,
        scope_types=base.PROJECT_SCOPE,
        description="List the name and type of the traits of an event type.",
        operations=[
            {"path": "/v2/event_types/{event_type}/traits", "method": "GET"}
        ],
    ),
    policy.DocumentedRuleDefault(
        name="telemetry:traits:show",
        check_str=base.SEGREGATION,
        scope_types=base.PROJECT_SCOPE,
        description="List the values of one trait of an event type, in "
        "every project.",
        operations=[
            {
                "path": "/v2/event_types/{event_type}/traits/{trait_name}",
                "method": "GET",
            }
        ],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
