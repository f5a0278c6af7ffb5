"""Rules of ``/v2/capabilities``."""

from oslo_policy import policy

from panko.policies import base

rules = [
    policy.DocumentedRuleDefault(
        name="telemetry:capabilities:show",
        check_str=base.ADMIN_OR_PROJECT_READER,
        scope_types=base.PROJECT_SCOPE,
        description="Show what the API and the configured storage driver "
        "support. The target is the project of the caller. "
        "Panko 10 answered anyone, without a rule.",
        operations=[{"path": "/v2/capabilities", "method": "GET"}],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
